// models.mjs - the two models the page inspects (main thread, the single-threaded build of
// /wasm/excite.mjs): loading the module, the weights in use and where they came from, the
// pretrained files, and the analysis of one image (probabilities, feature maps, SE views,
// Grad-CAM) that the panels draw. Announces 'models-changed' on events.

export const KINDS = ['CNN', 'CNN_SE'];
const EXCITE_URL = new URL('../../../wasm/excite.mjs', import.meta.url);
const WEIGHTS = new URL('../../../weights/', import.meta.url);
export const PRETRAINED = { CNN: 'cnn.safetensors', CNN_SE: 'cnn_se.safetensors' };
export const MAX_WEIGHTS_BYTES = 200 * 1048576;

// Index of the largest value (ties: the first).
export function argmax(a) {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
}

// Cache key of an analysis: model kind, image version, Grad-CAM class and block.
export const analysisKey = (kind, imageVersion, { cls, block } = {}) => `${kind}|${imageVersion}|${cls ?? ''}|${block ?? 2}`;

// The Analysis of panels/README.md from a model that has just predicted x.
function analyse(m, kind, x, probs, opts) {
  const top1 = argmax(probs);
  const blocks = [];
  for (let b = 0; b < 3; b++) {
    const conv = m.featureMap(b, 'conv'), relu = m.featureMap(b, 'relu');
    const se = kind === 'CNN_SE' ? m.featureMap(b, 'se') : null;
    let seView = kind === 'CNN_SE' ? m.seView(b) : null;
    if (seView) seView = { ...seView, hidden_pre: seView.hiddenPre };
    const mean = m.channelMean ? m.channelMean(b) : null;
    blocks.push({ C: relu.C, H: relu.H, W: relu.W, conv: conv && conv.data, relu: relu.data, se: se ? se.data : null, seView, mean });
  }
  const cls = opts.cls ?? top1, block = opts.block ?? 2;
  const cam = m.gradCam(x, cls, block);
  return { kind, probs, top1, blocks, gradcam: { cls, block, H: cam.H, W: cam.W, cam: cam.data } };
}

// models service. currentImage() -> the image whose analysis inspect() gives by default.
export function createModels({ events, currentImage }) {
  let ex = null, failed = false, version = 0, pretrainedMs = null;
  const models = {}, info = {};
  const cache = new Map();
  const emit = (kinds) => {
    version++;
    cache.clear();
    events.dispatchEvent(new CustomEvent('models-changed', { detail: { kinds } }));
  };
  // bytes into the model of kind: loaded in place when the file has the model's shape, else a
  // new model of the file's shape (R, N classes and names: ex.weightsInfo) replaces it, so
  // weights trained on the user's classes and CIFAR-10's both load (throws, model untouched)
  function place(kind, bytes) {
    const m = models[kind], w = ex.weightsInfo(bytes);
    if (w.kind !== kind) throw new Error(`these are ${w.kind} weights, not ${kind}`);
    const same = m && m.numClasses === w.numClasses && m.reduction === w.reduction;
    if (same) { m.loadSafetensors(bytes); return; }
    const fresh = ex.modelFromSafetensors(bytes, { maxBatch: 1 });
    models[kind] = fresh;
    if (m) m.free();
  }


  const api = {
    KINDS,
    get ex() { return ex; },            // the loaded excite instance (null until load())
    get failed() { return failed; },
    get version() { return version; },
    get pretrainedMs() { return pretrainedMs; },
    get(kind) { return models[kind] || null; },
    info(kind) { return info[kind] || null; },
    all() { return models; },
    allInfo() { return info; },
    imageChanged() { cache.clear(); },

    async load({ seed = 42 } = {}) {
      try {
        const mod = await import(EXCITE_URL.href);
        ex = await mod.loadExcite({ threads: false });
        for (const k of KINDS) {
          models[k] = ex.createModel(k, { seed, maxBatch: 1 });
          info[k] = { source: 'random' };
        }
        return ex;
      } catch (e) { failed = true; throw e; }
    },

    // Load safetensors bytes into the model of that kind (throws, model untouched).
    setWeights(kind, bytes, source) {
      place(kind, bytes);
      info[kind] = source;
      emit([kind]);
    },
    getWeights(kind, half = false) { return models[kind].saveSafetensors({ half }); },
    // The model a weights file is for (the core reads the file's tensor names).
    kindOf(bytes) { return ex.weightsKind(bytes); },

    // Both pretrained files, or neither: if the second file is bad, the first model gets its
    // old weights back. -> { ok, ms } or { ok: false, missing: bool, error }.
    async usePretrained() {
      const t0 = performance.now();
      let files;
      try {
        files = await Promise.all(KINDS.map(async (k) => {
          const r = await fetch(new URL(PRETRAINED[k], WEIGHTS));
          if (!r.ok) throw Object.assign(new Error('missing'), { missing: true });
          return new Uint8Array(await r.arrayBuffer());
        }));
      } catch (e) { return { ok: false, missing: !!e.missing, error: e }; }
      const backup = models.CNN.saveSafetensors({ half: false });
      try {
        place('CNN', files[0]);
        try { place('CNN_SE', files[1]); }
        catch (e) { place('CNN', backup); throw e; }
      } catch (e) { return { ok: false, missing: false, error: e }; }
      for (const k of KINDS) info[k] = { source: 'pretrained' };
      pretrainedMs = Math.round(performance.now() - t0);
      emit(KINDS);
      return { ok: true, ms: pretrainedMs };
    },

    // Promise<Analysis> of the current image (or opts.x, a normalised Float32Array(3072)).
    async inspect(kind, opts = {}) {
      const m = models[kind];
      if (!m) throw new Error('the WebAssembly module is not loaded');
      const img = currentImage();
      const x = opts.x || (img && img.x);
      if (!x) throw new Error('no image');
      const key = opts.x ? null : analysisKey(kind, img.version, opts);
      if (key && cache.has(key)) return cache.get(key);
      const res = analyse(m, kind, x, m.predict(x), opts);
      if (key) cache.set(key, res);
      return res;
    },
    // A copy of one state-dict tensor: { shape, data }.
    async tensor(kind, name) {
      const m = models[kind];
      const t = m.tensors().find((x) => x.name === name);
      if (!t) throw new Error(`no tensor ${name} in ${kind}`);
      return { shape: t.shape, data: m.getTensor(name) };
    },
  };
  return api;
}
