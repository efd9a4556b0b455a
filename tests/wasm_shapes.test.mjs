// wasm_shapes.test.mjs - model shapes in the WebAssembly module (wasm/excite.mjs): the
// reduction ratio R and N classes with their names (any UTF-8) on createModel, read back and
// kept by save/load; weightsInfo and modelFromSafetensors; fine-tuning from the shipped
// weights (conv blocks and fc1 copied, fc2 fresh) with frozen convolution blocks; the split
// of c/classes.h; a Trainer for N classes whose evaluation is N x N and whose checkpoint
// resumes with its classes. No data needed (the shipped weights and generated images).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExcite, CLASSES } from '../wasm/excite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
function throws(fn, re, what) {
    try { fn(); } catch (e) { return check(re.test(e.message), `${what}: ${e.message}`); }
    return check(false, `${what}: did not throw`);
}
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

const ex = await loadExcite({ build: 'simd', threads: false });
const NAMES = ['猫', 'dog "quoted"', 'Ünïcödé'];

// a few seeded images per class: class c is brighter in channel c
function images(n, N, seed) {
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const x = new Uint8Array(n * 3072), y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
        y[i] = Math.floor(i * N / n);
        for (let j = 0; j < 3072; j++) x[i * 3072 + j] = (Math.floor(j / 1024) === y[i] % 3 ? 160 : 40) + Math.floor(rnd() * 60);
    }
    return { x, y };
}

// ---- createModel with R and classes; read back; save/load ----
for (const R of [4, 8, 16]) {
    const m = ex.createModel('CNN_SE', { seed: 3, reduction: R, classes: NAMES });
    check(m.reduction === R && same(m.hiddenSizes, [32, 64, 128].map((c) => Math.floor(c / R))) &&
          m.numClasses === 3 && same(m.classes, NAMES),
          `CNN_SE R=${R}: reduction, hidden sizes ${m.hiddenSizes}, 3 classes ${JSON.stringify(m.classes)}`);
    const fc2 = m.tensors().find((t) => t.name === 'fc2.weight');
    check(same(fc2.shape, [3, 512]), `R=${R}: fc2 is (3, 512)`);
    const bytes = m.saveSafetensors();
    const info = ex.weightsInfo(bytes);
    check(info.kind === 'CNN_SE' && info.reduction === R && same(info.classes, NAMES), `R=${R}: weightsInfo ${JSON.stringify(info)}`);
    const m2 = ex.modelFromSafetensors(bytes);
    const img = images(2, 3, 7).x.subarray(0, 3072);
    check(same(m2.predict(img), m.predict(img)) && m.predict(img).length === 3, `R=${R}: modelFromSafetensors predicts the same 3 probabilities`);
    m.free(); m2.free();
}
const plain = ex.createModel('CNN', { seed: 1 });
check(plain.numClasses === 10 && same(plain.classes, CLASSES) && same(plain.hiddenSizes, [0, 0, 0]), 'default model: CIFAR-10 classes, no SE');
plain.free();
throws(() => ex.createModel('CNN_SE', { reduction: 33 }), /reduction ratio 33/, 'R = 33 refused');
throws(() => ex.createModel('CNN_SE', { reduction: 0 }), /reduction ratio 0/, 'R = 0 refused');
throws(() => ex.createModel('CNN', { classes: ['only'] }), /1 class/, 'one class refused');
throws(() => ex.createModel('CNN', { classes: ['Cat', 'cat'] }), /duplicate/, 'duplicate names (letter case) refused');
throws(() => ex.checkClassNames(Array.from({ length: 11 }, (_, i) => `c${i}`)), /more than 10|11 classes/, 'eleven classes refused');
throws(() => ex.checkClassNames(['a/b', 'c']), /'\/'/, 'a name with / refused');

// ---- fine-tuning from the shipped CNN_SE weights, frozen ----
const shipped = new Uint8Array(fs.readFileSync(path.join(ROOT, 'weights/cnn_se.safetensors')));
const pre = ex.modelFromSafetensors(shipped);
const ft = ex.createModel('CNN_SE', { seed: 5, classes: NAMES });
const fresh = ex.createModel('CNN_SE', { seed: 5, classes: NAMES });
ft.initFrom(shipped);
check(['conv1.weight', 'bn2.running_var', 'ca3.fc.0.weight', 'fc1.bias'].every((n) => same(ft.getTensor(n), pre.getTensor(n))) &&
      same(ft.getTensor('fc2.weight'), fresh.getTensor('fc2.weight')),
      'initFrom: conv blocks, bn statistics, SE and fc1 copied; fc2 as initialised from the seed');
throws(() => ex.createModel('CNN_SE', { reduction: 8, classes: NAMES }).initFrom(shipped), /hidden sizes/, 'initFrom with another R refused');
throws(() => ex.createModel('CNN', { classes: NAMES }).initFrom(shipped), /CNN from CNN_SE/, 'initFrom of another kind refused');
ft.freezeConv = true;
const { x, y } = images(12, 3, 11);
const w0 = ft.getTensor('conv2.weight'), rv0 = ft.getTensor('bn2.running_var'), f0 = ft.getTensor('fc1.weight');
ft.trainStep(x, y, { lr: 1e-3 });
check(same(ft.getTensor('conv2.weight'), w0) && !same(ft.getTensor('bn2.running_var'), rv0) && !same(ft.getTensor('fc1.weight'), f0),
      'frozen step: conv weights unchanged, batch-norm running statistics updated, fc1 trained');
pre.free(); ft.free(); fresh.free();

// ---- the split ----
const labels = new Uint8Array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
const sp = ex.splitImages(labels, { classes: NAMES, seed: 4 });
const sp2 = ex.splitImages(labels, { classes: NAMES, seed: 4 });
const count = (idx, c) => Array.from(idx).filter((i) => labels[i] === c).length;
check(same(sp.train, sp2.train) && same(sp.test, sp2.test) && sp.train.length + sp.test.length === labels.length &&
      count(sp.test, 0) === 1 && count(sp.test, 1) === 2 && count(sp.test, 2) === 1 &&
      Array.from(sp.test).every((v, i, a) => i === 0 || a[i - 1] < v),
      `splitImages: seeded, stratified (test ${Array.from(sp.test)}), ascending`);
throws(() => ex.splitImages(new Uint8Array([0, 0, 1]), { classes: ['a', 'b'] }), /class "b" has 1 picture/, 'a class with one picture refused');

// ---- a trainer for 3 classes: evaluation N x N, checkpoint and resume keep the classes ----
const tr = images(24, 3, 21), te = images(9, 3, 22);
const dtr = ex.createDataset(tr.x, tr.y), dte = ex.createDataset(te.x, te.y);
const t = ex.createTrainer({ kind: 'CNN_SE', epochs: 1, batchSize: 8, reduction: 8, freezeConv: true }, dtr, dte,
                           { classes: NAMES });
t.step();
const ck = t.checkpoint();
const r = ex.evaluate(t.model, dte, 8);
check(r.numClasses === 3 && r.confusion.length === 9 && r.classTotal.length === 3 && r.classTotal.reduce((a, b) => a + b) === 9,
      'evaluate: a 3 x 3 confusion matrix and 3 per-class totals');
const t2 = ex.resumeTrainer(ck, dtr, dte);
check(same(t2.model.classes, NAMES) && t2.model.reduction === 8 && t2.config.freezeConv === true && t2.config.reduction === 8,
      'resumeTrainer: classes, R and freezeConv from the checkpoint');
const l2 = t2.step().loss, l1 = t.step().loss;
check(l1 === l2, `the resumed trainer's next step has the same loss (${l1}, ${l2})`);
throws(() => ex.createTrainer({ kind: 'CNN' }, ex.createDataset(tr.x, tr.y.map((v) => v + 2)), dte, { classes: NAMES }),
       /label 3|label 4/, 'a label outside the classes refused');
t.free(); t2.free();
ex.dispose();
if (failures) { console.log(`wasm_shapes: ${failures} FAILED`); process.exit(1); }
console.log('wasm_shapes: ok');
