// wasm_evaluate_images.test.mjs - ex.evaluateImages (wasm/api.c ex_evaluate_images), the
// page's evaluation: on chunks of a dataset it gives the core's evaluate() of those images
// (the counts of two chunks add up to evaluate() of both, the loss to their mean), and per
// image probabilities that sum to 1 with the predicted class as their argmax; a range outside
// the dataset is refused. ex.weightsKind reads the kind from a weights file's tensor names.
// Pretrained weights from weights/; images generated; plain build, no data needed.
import fs from 'node:fs';
import { loadExcite } from '../wasm/excite.mjs';

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
const ex = await loadExcite({ threads: false, build: 'plain' });
const w = {
    CNN: new Uint8Array(fs.readFileSync(new URL('../weights/cnn.safetensors', import.meta.url))),
    CNN_SE: new Uint8Array(fs.readFileSync(new URL('../weights/cnn_se.safetensors', import.meta.url))),
};
check(ex.weightsKind(w.CNN) === 'CNN' && ex.weightsKind(w.CNN_SE) === 'CNN_SE', 'weightsKind: cnn.safetensors is CNN, cnn_se.safetensors CNN_SE');
try { ex.weightsKind(new Uint8Array(16)); check(false, 'weightsKind of 16 zero bytes: no error'); }
catch (e) { check(/safetensors/.test(e.message), `weightsKind of 16 zero bytes: ${e.message}`); }

const n = 160;
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
const images = new Uint8Array(n * 3072).map(rnd), labels = new Uint8Array(n).map((_, i) => (i * 3) % 10);
const d = ex.createDataset(images, labels);
for (const kind of ['CNN', 'CNN_SE']) {
    const m = ex.createModel(kind, { maxBatch: 100 });
    m.loadSafetensors(w[kind]);
    const all = ex.evaluate(m, d, 100);
    const a = ex.evaluateImages(m, d, 0, 100), b = ex.evaluateImages(m, d, 100, 60);
    const sum = (k) => Array.from(a[k], (v, i) => v + b[k][i]);
    check(['classTotal', 'classCorrect', 'confusion'].every((k) => sum(k).every((v, i) => v === all[k][i])),
        `${kind}: per-class counts and confusion of two chunks add up to evaluate()`);
    const loss = (a.loss * 100 + b.loss * 60) / n;
    check(Math.abs(loss - all.loss) < 1e-9 && Math.abs((a.accuracy * 100 + b.accuracy * 60) / n - all.accuracy) < 1e-12,
        `${kind}: loss ${loss.toFixed(6)} and accuracy of the chunks as evaluate() (${all.loss.toFixed(6)})`);
    let ok = a.predictions.length === 100 && a.probs.length === 1000;
    for (let i = 0; i < 100 && ok; i++) {
        const p = a.probs.subarray(i * 10, i * 10 + 10);
        let s = 0, k = 0;
        for (let c = 0; c < 10; c++) { s += p[c]; if (p[c] > p[k]) k = c; }
        ok = Math.abs(s - 1) < 1e-5 && k === a.predictions[i];
    }
    check(ok, `${kind}: every image's probabilities sum to 1, its prediction is their argmax`);
    const one = m.predict(images.subarray(0, 3072)), p0 = a.probs.subarray(0, 10);
    check(p0.every((v, c) => Math.abs(v - one[c]) < 1e-4), `${kind}: probabilities of image 0 as predict() (batch 1) to 1e-4`);
    try { ex.evaluateImages(m, d, 100, 61); check(false, `${kind}: images 100..160 (past the end): no error`); }
    catch (e) { check(/not in the dataset/.test(e.message), `${kind}: images past the end: ${e.message}`); }
    m.free();
}
d.free();
if (failures) { console.log(`${failures} check(s) failed`); process.exit(1); }
console.log('all checks passed');
