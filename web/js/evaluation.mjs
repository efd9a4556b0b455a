// evaluation.mjs - what the Evaluate panel shows of the core's evaluation (ex.evaluateImages,
// wasm/api.c ex_evaluate_images: loss, accuracy, per-class counts, confusion matrix, and each
// image's prediction and probabilities), gathered over the chunks the worker evaluates.
// Pure functions: no DOM, no WebAssembly (tests/page_helpers.test.mjs).

export const MISTAKES = 12;

// One model's result over all chunks, from the chunks' results in order ({ n, loss, accuracy,
// classTotal, classCorrect, confusion, predictions, probs } each) and the labels of all images:
// { n, loss, accuracy, classTotal, classCorrect, confusion, right: Uint8Array(n) (1: right),
//   mistakes: the MISTAKES wrong answers with the highest probability, most confident first,
//   [{ index, label, pred, p, pTrue }] }.
export function gatherChunks(chunks, labels, mistakes = MISTAKES) {
  const n = chunks.reduce((s, c) => s + c.n, 0);
  const K = chunks.length ? chunks[0].classTotal.length : 10;   // the model's classes
  const classTotal = new Int32Array(K), classCorrect = new Int32Array(K), confusion = new Int32Array(K * K);
  const right = new Uint8Array(n), wrong = [];
  let loss = 0, correct = 0, start = 0;
  for (const c of chunks) {
    loss += c.loss * c.n;
    correct += Math.round(c.accuracy * c.n);
    for (let k = 0; k < K; k++) { classTotal[k] += c.classTotal[k]; classCorrect[k] += c.classCorrect[k]; }
    for (let k = 0; k < K * K; k++) confusion[k] += c.confusion[k];
    for (let i = 0; i < c.n; i++) {
      const y = labels[start + i], pred = c.predictions[i];
      if (pred === y) right[start + i] = 1;
      else wrong.push({ index: start + i, label: y, pred, p: c.probs[i * K + pred], pTrue: c.probs[i * K + y] });
    }
    start += c.n;
  }
  wrong.sort((a, b) => b.p - a.p || a.index - b.index);
  return { n, loss: n ? loss / n : 0, accuracy: n ? correct / n : 0, classTotal, classCorrect, confusion, right, mistakes: wrong.slice(0, mistakes) };
}

// Paired comparison of two models on the same images: b = right only with the second,
// c = right only with the first; difference (b - c) / n with its standard error
// sqrt(b + c - (b - c)^2 / n) / n; clear when the difference is more than twice that.
export function pairedDifference(first, second) {
  if (!first || !second || !first.right || first.n !== second.n || !first.n) return null;
  const n = first.n;
  let b = 0, c = 0;
  for (let i = 0; i < n; i++) { if (second.right[i] && !first.right[i]) b++; else if (first.right[i] && !second.right[i]) c++; }
  const d = (b - c) / n, se = Math.sqrt(Math.max(0, b + c - (b - c) * (b - c) / n)) / n;
  return { n, b, c, d, se, clear: Math.abs(d) > 2 * se };
}

// Per-class accuracy (correct / total, 0 for a class with no images).
export const classAccuracy = (r) => Array.from(r.classCorrect, (c, i) => c / Math.max(1, r.classTotal[i]));

// Share of row y (true class) that cell (y, p) of the confusion matrix holds.
export const rowShare = (r, y, p) => r.confusion[y * r.classTotal.length + p] / Math.max(1, r.classTotal[y]);

// Whether both models have weights other than their random start (Evaluate then runs itself).
export const bothTrained = (infoOf, kinds) => kinds.every((k) => infoOf(k) && infoOf(k).source !== 'random');
