// wasm_memory.test.mjs - memory of the WebAssembly module stays flat (issue 4 check 4, issue 7):
//   - 50 rounds of create, train, inspect, save/load, free (a model, then datasets, a
//     trainer, a checkpoint and a resumed trainer) leave both the WebAssembly memory size and
//     the bytes allocated by malloc exactly where they were after the first round, in the
//     SIMD build and in the threads build;
//   - 1,000 training batches of the Trainer (the worker's loop; batches of 4 images, an epoch
//     end every 25) leave them where they were after the first epoch.
// Random images (no data needed).
import { loadExcite } from '../wasm/excite.mjs';

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}

function randomData(n, seed) {
    const images = new Uint8Array(n * 3072), labels = new Uint8Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < images.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; images[i] = s >>> 24; }
    for (let i = 0; i < n; i++) labels[i] = (i * 7 + seed) % 10;
    return { images, labels };
}

// One round: everything below for CNN and for CNN_SE.
function round(ex, i) {
    for (const kind of ['CNN', 'CNN_SE']) roundOf(ex, kind, i);
}
function roundOf(ex, kind, i) {
    const d = randomData(4, i);
    const m = ex.createModel(kind, { seed: i, maxBatch: 4 });
    m.trainStep(d.images, d.labels, { lr: 1e-3 });
    m.evalBatch(d.images, d.labels);
    const img = d.images.subarray(0, 3072);
    m.predict(img);
    m.featureMap(1, 'relu');
    m.seView(1);
    m.gradCam(img, 3, 2);
    const w = m.saveSafetensors();
    try { m.loadSafetensors(w.subarray(0, 1000)); } catch { /* expected */ }
    m.loadSafetensors(w);
    m.free();

    const tr = randomData(8, i + 1), te = randomData(4, i + 2);
    const train = ex.createDataset(tr.images, tr.labels), test = ex.createDataset(te.images, te.labels);
    const t = ex.createTrainer({ kind, seed: i, epochs: 2, batchSize: 4, augment: true }, train, test);
    t.step();
    t.step();
    t.endEpoch();
    t.step();
    const ck = t.checkpoint();
    const t2 = ex.resumeTrainer(ck, train, test);
    t2.step();
    ex.evaluate(t2.model, test, 4);
    t.free();
    t2.free();
    train.free();
    test.free();
}

for (const build of ['simd', 'simd-threads']) {
    const ex = await loadExcite({ build, numThreads: 2 });
    round(ex, 0);
    const bytes1 = ex.heapBytes(), used1 = ex.heapUsed();
    for (let i = 1; i < 50; i++) round(ex, i);
    const bytes50 = ex.heapBytes(), used50 = ex.heapUsed();
    check(used1 > 0 && bytes50 === bytes1 && used50 === used1,
          `${build}: 50 create/train/free rounds: memory ${bytes1} -> ${bytes50} bytes, malloc'ed ${used1} -> ${used50}`);
    ex.dispose();
}

{
    const ex = await loadExcite({ build: 'simd' });
    const tr = randomData(100, 11), te = randomData(16, 12);
    const train = ex.createDataset(tr.images, tr.labels), test = ex.createDataset(te.images, te.labels);
    const t = ex.createTrainer({ kind: 'CNN', seed: 3, epochs: 40, batchSize: 4, augment: true }, train, test);
    let steps = 0, bytes1 = 0, used1 = 0;
    const t0 = performance.now();
    while (steps < 1000) {
        if (t.epochFinished) {
            t.endEpoch();
            if (steps === 25) { bytes1 = ex.heapBytes(); used1 = ex.heapUsed(); }
            continue;
        }
        t.step();
        steps++;
    }
    const bytes = ex.heapBytes(), used = ex.heapUsed();
    console.log(`     1000 batches of 4 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    check(bytes === bytes1 && used === used1,
          `1000 training batches: memory ${bytes1} -> ${bytes} bytes, malloc'ed ${used1} -> ${used}`);
    t.free();
    train.free();
    test.free();
    check(ex.heapUsed() < used1, `freeing the trainer and data returns their memory (${ex.heapUsed()} bytes left)`);
    ex.dispose();
}

if (failures) {
    console.log(`wasm_memory: ${failures} check(s) failed`);
    process.exit(1);
}
console.log('wasm_memory: all checks passed');
