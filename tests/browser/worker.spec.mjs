// worker.spec.mjs - the WebAssembly module in headless Chromium, served by scripts/serve.mjs
// (what `make demo` runs), through the training worker (wasm/worker.mjs):
//   1. With the demo server's COOP/COEP headers the page is cross-origin isolated and the
//      worker picks the threads build.
//   2. CNN and CNN_SE race for 20 batches each on the same batches (one epoch of 640 images)
//      plus the epoch-end evaluation; every event arrives with finite numbers, and a
//      requestAnimationFrame counter on the main thread keeps advancing while they train.
//   3. Pause stops the batch events, resume continues them; the epoch-end checkpoint arrives.
//   4. The same page without the COOP/COEP headers (an embedding that does not send them)
//      is not isolated, gets the SIMD build, and still trains (single-threaded).
//   5. There, a learning rate that diverges pauses the run; a lower one continues it.
//   6. There, with two models, the second trains in a model worker (wasm/model-worker.mjs):
//      the batch and epoch events and the checkpoints (bytes) are those of the same run with
//      every model in the training worker (modelWorker: false), and pauseAt stops both; that
//      run's pause checkpoint resumed with the model worker ends with the same bytes; start
//      weights the model worker cannot read fail the start with their message.
// Data: the real CIFAR-10 batches from $CIFAR10_DIR (default data/cifar10), served under
// /data/cifar10/. Timings are printed, never asserted.
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.mjs';   // first: prints the browser's version
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const DATA = process.env.CIFAR10_DIR || 'data/cifar10';
if (!fs.existsSync(path.join(DATA, 'data_batch_1.bin'))) {
    console.error(`worker.spec: no CIFAR-10 in ${DATA} (run make data)`);
    process.exit(1);
}

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}

// Runs in the page: trains `models` for one epoch of trainSize images through the worker,
// counting animation frames; optionally the worker pauses by itself after batch `pauseAt` of
// epoch 1 (its pauseAt setting: an exact stop, whatever the machine's speed).
// With recoverLr: the run starts at learning rate `lr` (10: it diverges), and when the worker
// reports the divergence and pauses, the rate is lowered to recoverLr and the run resumed.
// modelWorker: the start message's (false: no model worker); every checkpoint keeps FNV-1a
// sums of each trainer's bytes (a safetensors file): its header without the one entry that is
// a wall-clock time (state.epoch_seconds) and without its padding, and its tensors.
// loadTwice: the same load-data again before the start (the worker keeps the data in place).
// badWeights: start CNN_SE from a file that is not safetensors. The state of the last 'pause'
// checkpoint stays in the page (window.__pauseState); resume: start from it instead.
async function trainInPage({ models, trainSize, testSize, batchSize, pauseAt, lr, recoverLr, modelWorker, epochs = 1, loadTwice, badWeights, resume }) {
    const fnv = (b) => { let h = 0x811c9dc5; for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0; return h; };
    const sum = (b) => {
        const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
        // (the header's trailing blanks pad it to 8 bytes: their number follows that entry's length)
        const head = new TextDecoder().decode(b.subarray(8, 8 + n)).replace(/"state\.epoch_seconds":"[^"]*"/, '').trimEnd();
        return `${fnv(new TextEncoder().encode(head))}/${fnv(b.subarray(8 + n))}`;
    };
    let t0 = 0;
    const w = new Worker('/wasm/worker.mjs', { type: 'module' });
    const events = [];
    let frames = 0, maxGap = 0, last = performance.now(), running = true;
    const gaps = [];
    const tick = (t) => {
        frames++;
        if (frames > 1 && t - last > 100) gaps.push([Math.round(t - t0), Math.round(t - last)]);
        if (frames > 1) maxGap = Math.max(maxGap, t - last);
        last = t;
        if (running) requestAnimationFrame(tick);
    };
    const waitFor = (pred, ms = 240000) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout; last events: ${JSON.stringify(events.slice(-3))}`)), ms);
        const poll = () => {
            const e = events.find(pred);
            if (e) { clearTimeout(timer); resolve(e); } else setTimeout(poll, 20);
        };
        poll();
    });
    w.onmessage = (e) => {
        const m = e.data;
        if (m.type === 'checkpoint') {
            if (m.reason === 'pause') window.__pauseState = m.state;
            events.push({ type: 'checkpoint', reason: m.reason, models: m.state.models,
                          bytes: Object.values(m.state.trainers).map((b) => b.byteLength),
                          sums: m.state.models.map((k) => sum(m.state.trainers[k])) });
        } else {
            events.push(m);
        }
    };
    w.onerror = (e) => events.push({ type: 'error', message: e.message || 'worker error' });
    w.postMessage({ type: 'init' });
    const ready = await waitFor((e) => e.type === 'ready' || e.type === 'error');
    if (ready.type === 'error') return { error: ready.message };
    w.postMessage({ type: 'load-data', baseUrl: '/data/cifar10/', trainSize, testSize });
    let dr = await waitFor((e) => e.type === 'data-ready' || e.type === 'error');
    if (dr.type === 'error') return { error: dr.message };
    const firstData = dr;
    if (loadTwice) {
        w.postMessage({ type: 'load-data', baseUrl: '/data/cifar10/', trainSize, testSize });
        dr = await waitFor((e) => e !== firstData && (e.type === 'data-ready' || e.type === 'error'));
        if (dr.type === 'error') return { error: dr.message };
    }

    t0 = performance.now();
    const framesBefore = frames;
    last = t0;
    requestAnimationFrame(tick);
    w.postMessage({ type: 'start', models, settings: { epochs, batchSize, seed: 5, augment: true, ...(lr ? { lr } : {}) },
                    ...(pauseAt ? { pauseAt: { epoch: 1, batch: pauseAt } } : {}),
                    ...(modelWorker === false ? { modelWorker } : {}),
                    ...(badWeights ? { weights: { CNN_SE: new TextEncoder().encode('not a weights file') } } : {}),
                    ...(resume ? { resume: window.__pauseState } : {}) });
    let recovered = null;
    if (recoverLr) {
        const err = await waitFor((e) => e.type === 'error');
        await waitFor((e) => e.type === 'state' && e.state === 'paused');
        recovered = { diverged: err.diverged, message: err.message, step: err.step, at: events.length };
        w.postMessage({ type: 'settings', settings: { lr: recoverLr } });
        w.postMessage({ type: 'resume' });
    }
    let pauseInfo = null;
    if (pauseAt) {
        const paused = await waitFor((e) => e.type === 'state' && e.state === 'paused');
        await waitFor((e) => e.type === 'checkpoint' && e.reason === 'pause');
        const n1 = events.filter((e) => e.type === 'batch').length;
        // a round trip through the worker: its answer comes after any batch it had trained
        w.postMessage({ type: 'checkpoint' });
        await waitFor((e) => e.type === 'checkpoint' && e.reason === 'request');
        const n2 = events.filter((e) => e.type === 'batch').length;
        w.postMessage({ type: 'resume' });
        pauseInfo = { reason: paused.reason, at: paused.at, batchesBefore: n1, whilePaused: n2 - n1 };
    }
    const after = recovered ? recovered.at : 0;
    const end = await waitFor((e) => events.indexOf(e) >= after &&
                                     ((e.type === 'state' && (e.state === 'done' || e.state === 'stopped')) || e.type === 'error'));
    const seconds = (performance.now() - t0) / 1000;
    const framesDuring = frames - framesBefore;
    running = false;
    w.terminate();
    if (recovered) recovered.batchesAfter = events.slice(recovered.at).filter((e) => e.type === 'batch');
    return { ready, firstData, dataReady: dr, end, seconds, framesDuring, maxGap, gaps, pauseInfo, recovered, isolated: crossOriginIsolated,
             batches: events.filter((e) => e.type === 'batch'), epochs: events.filter((e) => e.type === 'epoch'),
             checkpoints: events.filter((e) => e.type === 'checkpoint'), run: events.find((e) => e.type === 'run'),
             errors: events.filter((e) => e.type === 'error') };
}

const { server, port } = await serve({ port: 0 });
const base = `http://127.0.0.1:${port}`;
const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,   // Playwright gives every launch a fresh profile
});
try {
    // ---- 1-3: the demo server's headers -> threads build --------------------------------
    const page = await browser.newPage();
    const consoleErrors = [];
    // The page's own app may log its own problems (its tests check those); here only errors
    // from the module, the worker and the data count.
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('response', (res) => {
        if (res.status() >= 400 && /\/(wasm|data)\//.test(res.url())) consoleErrors.push(`HTTP ${res.status()} ${res.url()}`);
    });
    page.on('worker', (wk) => wk.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); }));
    await page.goto(`${base}/web/`);
    const r = await page.evaluate(trainInPage, { models: ['CNN', 'CNN_SE'], trainSize: 640, testSize: 200,
                                                batchSize: 32, pauseAt: 5 });
    if (r.error) throw new Error(`worker failed: ${r.error}`);
    console.log(`     build ${r.ready.build}, ${r.ready.threads} threads, kernel ${r.ready.kernel}; ` +
                `${r.seconds.toFixed(1)} s for 2x20 batches + eval; ${r.framesDuring} frames, ` +
                `longest frame gap ${r.maxGap.toFixed(0)} ms; gaps > 100 ms at [t, gap]: ${JSON.stringify(r.gaps)}`);
    check(r.isolated === true, 'the demo page is cross-origin isolated');
    check(r.ready.build === 'simd-threads' && r.ready.threads >= 2, `the worker picked the threads build (${r.ready.build}, ${r.ready.threads} threads)`);
    check(r.end.state === 'done' && r.errors.length === 0, `training finished (${r.end.state}; errors: ${JSON.stringify(r.errors)})`);
    for (const k of ['CNN', 'CNN_SE']) {
        const b = r.batches.filter((e) => e.model === k);
        check(b.length === 20 && b.every((e, i) => e.batch === i + 1 && e.batches === 20 && Number.isFinite(e.loss) &&
              e.acc >= 0 && e.acc <= 1 && e.imgPerSec > 0), `${k}: 20 batch events in order with finite loss/acc/speed`);
        const ep = r.epochs.filter((e) => e.model === k);
        check(ep.length === 1 && Number.isFinite(ep[0].testLoss) && ep[0].testAcc >= 0 && ep[0].lr > 0,
              `${k}: one epoch event with test loss ${ep[0] && ep[0].testLoss.toFixed(3)}, acc ${ep[0] && ep[0].testAcc.toFixed(3)}`);
    }
    const etas = r.batches.filter((e) => e.eta !== null).map((e) => e.eta);
    check(etas.length > 20 && etas.every((x) => x >= 0), 'batch events carry an ETA');
    check(r.framesDuring >= 2, `requestAnimationFrame kept advancing during training (${r.framesDuring} frames; how many depends on the machine)`);
    const pi = r.pauseInfo || {};
    check(pi.reason === 'pause-at' && pi.at && pi.at.step === 5 && pi.at.epoch === 1 && pi.at.batch === 5 && pi.batchesBefore === 2 * 5,
          `pauseAt { epoch: 1, batch: 5 } paused after batch 5 of both models (${JSON.stringify(pi)})`);
    check(pi.whilePaused === 0, 'no batch events while paused; resume continued to the end');
    const ck = r.checkpoints.map((c) => c.reason);
    check(ck.includes('pause') && ck.includes('epoch') &&
          r.checkpoints.every((c) => c.models.length === 2 && c.bytes.every((n) => n > 1e6)),
          `checkpoints on pause and at the epoch end (${ck.join(', ')})`);
    check(consoleErrors.length === 0, `no console errors (${consoleErrors.slice(0, 3).join(' | ')})`);
    await page.close();

    // ---- 4: without COOP/COEP -> SIMD build, single-threaded ------------------------------
    const ctx = await browser.newContext();
    await ctx.route('**/*', async (route) => {
        const resp = await route.fetch();
        const headers = { ...resp.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response: resp, headers });
    });
    const plainPage = await ctx.newPage();
    await plainPage.goto(`${base}/web/`);
    const r2 = await plainPage.evaluate(trainInPage, { models: ['CNN'], trainSize: 96, testSize: 32, batchSize: 32, loadTwice: true });
    if (r2.error) throw new Error(`worker failed without isolation: ${r2.error}`);
    check(r2.isolated === false, 'without the headers the page is not cross-origin isolated');
    check(r2.ready.build === 'simd' && r2.ready.threads === 1, `and the worker picked the SIMD build (${r2.ready.build})`);
    check(r2.end.state === 'done' && r2.batches.length === 3, `and trained 3 batches single-threaded (${r2.end.state})`);
    check(!r2.firstData.kept && r2.dataReady.kept === true && r2.dataReady.nTrain === 96 && r2.dataReady.nTest === 32,
          `a second load-data of the same subset keeps the data in place (kept: ${r2.firstData.kept}, then ${r2.dataReady.kept})`);
    // ---- 5: divergence pauses the run at its last good state; a lower rate continues it ----
    const r3 = await plainPage.evaluate(trainInPage, { models: ['CNN'], trainSize: 96, testSize: 32, batchSize: 32, lr: 10, recoverLr: 1e-3 });
    if (r3.error) throw new Error(`worker failed: ${r3.error}`);
    const rv = r3.recovered;
    check(rv && rv.diverged === true && /learning rate/i.test(rv.message), `learning rate 10 diverges, the run pauses: "${rv && rv.message.slice(0, 70)}…"`);
    check(r3.end.state === 'done' && rv.batchesAfter.length === 3 - rv.step &&
          rv.batchesAfter.every((b) => b.lr === Math.fround(1e-3) && Number.isFinite(b.loss)) && rv.batchesAfter[0].step === rv.step + 1,
          `after settings { lr: 1e-3 } and resume it continues from step ${rv && rv.step} to the end at the new rate (${rv && rv.batchesAfter.map((b) => b.lr).join(', ')})`);
    // ---- 6: two models without threads: the second in a model worker, the same numbers ------
    const race = (modelWorker) => plainPage.evaluate(trainInPage, { models: ['CNN', 'CNN_SE'], trainSize: 320, testSize: 64,
                                                                     batchSize: 32, pauseAt: 4, epochs: 2, modelWorker });
    const [par, seq] = [await race(true), await race(false)];
    // seq's pause checkpoint (every model in one worker), resumed with the model worker
    const resumed = await plainPage.evaluate(trainInPage, { models: ['CNN', 'CNN_SE'], trainSize: 320, testSize: 64,
                                                             batchSize: 32, epochs: 2, resume: true });
    if (par.error || seq.error) throw new Error(`worker failed: ${par.error || seq.error}`);
    const cores = await plainPage.evaluate(() => navigator.hardwareConcurrency);
    check(par.ready.modelWorkers === (cores >= 2) && par.run.modelWorker === (cores >= 2 ? 'CNN_SE' : null) && seq.run.modelWorker === null,
          `with ${cores} cores CNN_SE trains in a model worker${cores >= 2 ? '' : ' (no: one core)'} ` +
          `(ready.modelWorkers ${par.ready.modelWorkers}, run.modelWorker ${par.run.modelWorker}; with modelWorker: false ${seq.run.modelWorker})`);
    const rows = (r) => r.batches.map((b) => [b.model, b.step, b.loss, b.acc, b.lr].join(' '));
    check(par.end.state === 'done' && par.errors.length === 0 && par.batches.length === 2 * 20 &&
          JSON.stringify(rows(par)) === JSON.stringify(rows(seq)),
          `the same ${par.batches.length} batch events in the same order (model, step, loss, accuracy, rate) as with every model in one worker`);
    const eps = (r) => r.epochs.map((e) => [e.model, e.epoch, e.trainLoss, e.testLoss, e.testAcc, e.nextLr].join(' '));
    check(par.epochs.length === 4 && JSON.stringify(eps(par)) === JSON.stringify(eps(seq)), 'the same epoch events (test loss and accuracy)');
    const cks = (r) => r.checkpoints.map((c) => `${c.reason}:${c.models.join('+')}:${c.sums.join(',')}`);
    check(par.checkpoints.length === 4 && JSON.stringify(cks(par)) === JSON.stringify(cks(seq)),
          `byte-identical checkpoints at the pause, the request and both epoch ends (${par.checkpoints.map((c) => c.reason).join(', ')})`);
    const bad = await plainPage.evaluate(trainInPage, { models: ['CNN', 'CNN_SE'], trainSize: 64, testSize: 32, batchSize: 32, badWeights: true });
    check(bad.end.type === 'error' && bad.end.command === 'start' && /safetensors|header/i.test(bad.end.message) && bad.batches.length === 0,
          `start weights that CNN_SE cannot read (in the model worker): the start fails with its message ("${bad.end.message}")`);
    const last = (r) => cks(r)[cks(r).length - 1];
    check(resumed.run.modelWorker === par.run.modelWorker && resumed.end.state === 'done' && resumed.batches.length === 2 * 16 &&
          resumed.batches[0].step === 5 && last(resumed) === last(par),
          `the pause checkpoint of that run resumed with the model worker: steps 5-20 of both models, the same final checkpoint bytes`);
    const pp = par.pauseInfo || {};
    check(pp.reason === 'pause-at' && pp.at.step === 4 && pp.batchesBefore === 2 * 4 && pp.whilePaused === 0,
          `pauseAt { epoch: 1, batch: 4 } paused both models after batch 4, with nothing in flight (${JSON.stringify(pp)})`);
    await ctx.close();
} catch (e) {
    failures++;
    console.log(`FAIL ${e.stack || e}`);
} finally {
    await browser.close();
    server.close();
}
if (failures) {
    console.log(`worker.spec: ${failures} check(s) failed`);
    process.exit(1);
}
console.log('worker.spec: all checks passed');
