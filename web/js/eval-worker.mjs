// eval-worker.mjs - evaluates both models on test images off the main thread, with the core's
// evaluation (ex.evaluateImages) in chunks of CHUNK images (progress after each), gathered by
// evaluation.mjs.
// In:  { type: 'eval', id, images: Uint8Array(n*3072), labels: Uint8Array(n), weights: {CNN, CNN_SE} }
// Out: { type: 'progress', id, done, total } ... { type: 'result', id, results: {kind: gatherChunks()} }
//      or { type: 'error', id, message }
import { loadExcite } from '../../wasm/excite.mjs';
import { gatherChunks } from './evaluation.mjs';

let ex = null;
const CHUNK = 100;

self.onmessage = async (e) => {
  const d = e.data;
  if (d.type !== 'eval') return;
  let data = null;
  try {
    ex = ex || await loadExcite();
    const n = d.labels.length;
    const kinds = Object.keys(d.weights);
    data = ex.createDataset(d.images, d.labels);
    const results = {};
    let done = 0;
    for (const kind of kinds) {
      const m = ex.modelFromSafetensors(d.weights[kind], { maxBatch: CHUNK });   // its shape (R, N classes) from the file
      try {
        const chunks = [];
        for (let i = 0; i < n; i += CHUNK) {
          chunks.push(ex.evaluateImages(m, data, i, Math.min(CHUNK, n - i)));
          done += chunks[chunks.length - 1].n;
          self.postMessage({ type: 'progress', id: d.id, done, total: n * kinds.length });
        }
        results[kind] = gatherChunks(chunks, d.labels);
      } finally {
        m.free();
      }
    }
    self.postMessage({ type: 'result', id: d.id, build: ex.build, results });
  } catch (err) {
    self.postMessage({ type: 'error', id: d.id, message: err.message || String(err) });
  } finally {
    if (data) data.free();
  }
};
