// eval-worker.mjs - evaluates both models on test images off the main thread:
// accuracy, mean loss, per-class accuracy, confusion matrix and the most confident mistakes.
// In:  { type: 'eval', id, images: Uint8Array(n*3072), labels: Uint8Array(n), weights: {CNN, CNN_SE} }
// Out: { type: 'progress', id, done, total } ... { type: 'result', id, results: {kind: {...}} }
//      or { type: 'error', id, message }
import { loadExcite } from '../../wasm/excite.mjs';

let ex = null;
const CHUNK = 100, MISTAKES = 12;

self.onmessage = async (e) => {
  const d = e.data;
  if (d.type !== 'eval') return;
  try {
    ex = ex || await loadExcite();
    const n = d.labels.length;
    const kinds = Object.keys(d.weights);
    const results = {};
    let done = 0;
    for (const kind of kinds) {
      const m = ex.createModel(kind, { seed: 1, maxBatch: CHUNK });
      try {
        m.loadSafetensors(d.weights[kind]);
        const confusion = new Int32Array(100), classTotal = new Int32Array(10), classCorrect = new Int32Array(10);
        let correct = 0, loss = 0;
        const right = new Uint8Array(n);   // 1 where this model is right (for the paired comparison)
        const mistakes = [];
        for (let i = 0; i < n; i += CHUNK) {
          const B = Math.min(CHUNK, n - i);
          const logits = m.logits(d.images.subarray(i * 3072, (i + B) * 3072));
          for (let b = 0; b < B; b++) {
            const z = logits.subarray(b * 10, b * 10 + 10);
            let mx = -Infinity, arg = 0;
            for (let c = 0; c < 10; c++) if (z[c] > mx) { mx = z[c]; arg = c; }
            let se = 0;
            for (let c = 0; c < 10; c++) se += Math.exp(z[c] - mx);
            const y = d.labels[i + b];
            loss += Math.log(se) - (z[y] - mx);
            const p = 1 / se;   // probability of the predicted class
            confusion[y * 10 + arg]++;
            classTotal[y]++;
            if (arg === y) { correct++; classCorrect[y]++; right[i + b] = 1; }
            else {
              mistakes.push({ index: i + b, label: y, pred: arg, p, pTrue: Math.exp(z[y] - mx) / se });
              if (mistakes.length > 4 * MISTAKES) { mistakes.sort((a, c) => c.p - a.p); mistakes.length = MISTAKES; }
            }
          }
          done += B;
          self.postMessage({ type: 'progress', id: d.id, done, total: n * kinds.length });
        }
        mistakes.sort((a, c) => c.p - a.p);
        results[kind] = { n, accuracy: correct / n, loss: loss / n, confusion, classTotal, classCorrect, right, mistakes: mistakes.slice(0, MISTAKES) };
      } finally {
        m.free();
      }
    }
    self.postMessage({ type: 'result', id: d.id, build: ex.build, results });
  } catch (err) {
    self.postMessage({ type: 'error', id: d.id, message: err.message || String(err) });
  }
};
