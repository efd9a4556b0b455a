// training-worker.mjs - starts the training worker (wasm/worker.mjs) with the best build it
// can load. If the threaded build does not come up within WORKER_TIMEOUT_MS (a browser that
// cannot start the thread pool), it is replaced by one with the single-threaded SIMD build.
// numThreads: the threads to train with (default: every core, at most 16); the worker's pool
// is started for every core, so the page can ask for more or fewer later ({ type: 'threads' }).

export const WORKER_TIMEOUT_MS = 45000;
const WORKER_URL = new URL('../../../wasm/worker.mjs', import.meta.url);

// The build to try after `build` timed out, or null (give up).
export const fallbackBuild = (build) => (build === 'auto' ? 'simd' : null);

// -> Promise<Worker|null>. onStart(worker) as soon as a worker exists, onReady({ build,
// threads, maxThreads, kernel, modelWorkers }) once it has loaded and again after each change of the number of
// threads, onError(message or { code, vars }).
export function startTrainingWorker({ onStart, onReady, onError }, build = 'auto', numThreads = undefined) {
  return new Promise((resolve) => {
    let w, done = false;
    try { w = new Worker(WORKER_URL, { type: 'module' }); }
    catch (e) { onError(e); resolve(null); return; }
    onStart(w);
    let resolved = false;   // this worker is the one in use
    const finish = (v) => { if (!done) { done = true; resolved = v === w; clearTimeout(timer); resolve(v); } };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      w.terminate();
      console.warn(`training worker (${build}) did not start in ${WORKER_TIMEOUT_MS / 1000} s`);
      const next = fallbackBuild(build);
      if (next) startTrainingWorker({ onStart, onReady, onError }, next, numThreads).then(resolve);
      else { onError({ code: 'app.backend.failed', vars: {} }); resolve(null); }
    }, WORKER_TIMEOUT_MS);
    const onMsg = (ev) => {
      const d = ev.data || {};
      if (d.type === 'ready') {
        if (done && !resolved) return;   // a worker replaced after its timeout
        onReady({ build: d.build, threads: d.threads, maxThreads: d.maxThreads, kernel: d.kernel, modelWorkers: !!d.modelWorkers });
        finish(w);
      } else if (d.type === 'error' && !done) {
        onError(d.message);
      }
    };
    w.addEventListener('message', onMsg);
    w.addEventListener('error', (e) => { onError(e.message || 'training worker failed to start'); finish(null); });
    w.postMessage({ type: 'init', build, numThreads });
  });
}
