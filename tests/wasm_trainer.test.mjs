// wasm_trainer.test.mjs - the training loop through the WebAssembly API (what the worker
// runs), in the SIMD and threads builds:
//   - settings go in and come back out unchanged (trainer.config, readCheckpointConfig);
//   - a run stopped mid-epoch, checkpointed, freed and resumed from the checkpoint ends with
//     weights byte-identical to those of an uninterrupted run (issue 7, resume);
//   - the threads build trains byte-identically to the SIMD build;
//   - learning rate 10 makes the run diverge within a few batches: step() throws an Error
//     with diverged = true and a message that names the learning rate; setLr then refuses
//     0 and NaN, and a lower rate continues the run from its last good state;
//   - bad input (unknown setting, wrong label, checkpoint bytes that are not one) throws;
//   - the native program (`excite train --resume`) continues a WebAssembly checkpoint made on
//     the real data (needs $CIFAR10_DIR; its weights then differ from the WebAssembly run's
//     only by FMA rounding, amplified by Adam: printed, and bounded loosely by 1e-2).
// Random images for all but the last check.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExcite } from '../wasm/excite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
function throws(fn, re) {
    try { fn(); } catch (e) { return e instanceof Error && re.test(e.message) ? e.message : false; }
    return false;
}
function randomData(n, seed) {
    const images = new Uint8Array(n * 3072), labels = new Uint8Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < images.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; images[i] = s >>> 24; }
    for (let i = 0; i < n; i++) labels[i] = (i * 7 + seed) % 10;
    return { images, labels };
}
const equalBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

const SETTINGS = { kind: 'CNN_SE', seed: 9, epochs: 2, batchSize: 16, augment: true, lr: 2e-3,
                   weightDecay: 1e-4, dropout: 0.25, plateauFactor: 0.5, plateauPatience: 1 };
const finals = {};
for (const build of ['simd', 'simd-threads']) {
    const ex = await loadExcite({ build, numThreads: 2 });
    const tr = randomData(56, 1), te = randomData(20, 2);
    const train = ex.createDataset(tr.images, tr.labels), test = ex.createDataset(te.images, te.labels);

    // uninterrupted
    const a = ex.createTrainer(SETTINGS, train, test);
    const cfg = a.config;
    check(Object.entries(SETTINGS).every(([k, v]) => cfg[k] === (typeof v === 'number' ? Math.fround(v) : v)),
          `${build}: settings round-trip (${JSON.stringify(cfg)})`);
    const epochs = [];
    while (!a.done) {
        if (a.epochFinished) epochs.push(a.endEpoch());
        else a.step();
    }
    const wa = a.model.saveSafetensors();
    check(epochs.length === 2 && a.batches === 4 && a.stepCount === 8 && epochs.every((e) => Number.isFinite(e.testLoss)),
          `${build}: 2 epochs of 4 batches (last batch smaller), test loss ${epochs.map((e) => e.testLoss.toFixed(4)).join(', ')}`);

    // interrupted after 1 epoch and 2 batches, resumed from the checkpoint
    const b = ex.createTrainer(SETTINGS, train, test);
    for (let i = 0; i < 4; i++) b.step();
    b.endEpoch();
    b.step(); b.step();
    const ck = b.checkpoint();
    b.free();
    const info = ex.readCheckpointConfig(ck);
    check(info.trainImages === 56 && info.testImages === 20 && info.config.kind === 'CNN_SE' && info.config.seed === 9,
          `${build}: checkpoint config (${info.trainImages} train, ${info.testImages} test images)`);
    const c = ex.resumeTrainer(ck, train, test);
    check(c.epoch === 1 && c.position === 2, `${build}: resumed at epoch ${c.epoch}, batch ${c.position}`);
    while (!c.done) {
        if (c.epochFinished) c.endEpoch();
        else c.step();
    }
    check(equalBytes(c.model.saveSafetensors(), wa), `${build}: resumed run ends byte-identical to the uninterrupted one`);
    finals[build] = wa;

    // divergence
    const d = ex.createTrainer({ kind: 'CNN', seed: 1, epochs: 5, batchSize: 16, lr: 10 }, train, test);
    let err = null, steps = 0;
    while (!err && steps < 40) {
        try {
            if (d.epochFinished) d.endEpoch(); else { d.step(); steps++; }
        } catch (e) { err = e; }
    }
    check(err && err.diverged === true && /learning rate/i.test(err.message),
          `${build}: lr 10 diverges after ${steps} batches: "${err && err.message}"`);
    // ... and continues from its last good state with a lower learning rate
    check(!!throws(() => d.setLr(0), /learning rate/) && !!throws(() => d.setLr(NaN), /learning rate/) && d.lr === Math.fround(10),
          `${build}: setLr refuses 0 and NaN and leaves the rate at 10`);
    const stepBefore = d.stepCount;
    d.setLr(1e-4);
    let r2 = null;
    try { if (d.epochFinished) d.endEpoch(); r2 = d.step(); } catch (e) { r2 = e; }
    check(r2 && !(r2 instanceof Error) && Number.isFinite(r2.loss) && r2.lr === Math.fround(1e-4) && d.stepCount === stepBefore + 1,
          `${build}: after setLr(1e-4) the run goes on from step ${stepBefore} (loss ${r2 && r2.loss}, lr ${r2 && r2.lr})`);
    d.free();

    // bad input
    check(!!throws(() => ex.createTrainer({ nope: 1 }, train, test), /unknown training setting/), `${build}: unknown setting throws`);
    check(!!throws(() => ex.createTrainer({ batchSize: 0 }, train, test), /batch_size.*out of range/), `${build}: batch size 0 throws`);
    check(!!throws(() => ex.createDataset(new Uint8Array(3072), new Uint8Array([10])), /label 10/), `${build}: label 10 throws`);
    check(!!throws(() => ex.resumeTrainer(wa, train, test), /./), `${build}: a weights file is not a checkpoint: "${throws(() => ex.resumeTrainer(wa, train, test), /./)}"`);
    const small = ex.createDataset(tr.images.subarray(0, 3072 * 8), tr.labels.subarray(0, 8));
    check(!!throws(() => ex.resumeTrainer(ck, small, test), /./), `${build}: a checkpoint with other data throws: "${throws(() => ex.resumeTrainer(ck, small, test), /./)}"`);
    ex.dispose();
}
check(equalBytes(finals.simd, finals['simd-threads']), 'threads build trains byte-identically to the SIMD build');

// A browser checkpoint continued by the native program.
const DATA = process.env.CIFAR10_DIR || path.join(ROOT, 'data/cifar10');
if (fs.existsSync(path.join(DATA, 'test_batch.bin'))) {
    const rec = (file, n) => {
        const b = fs.readFileSync(path.join(DATA, file));
        const images = new Uint8Array(n * 3072), labels = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
            labels[i] = b[i * 3073];
            images.set(b.subarray(i * 3073 + 1, (i + 1) * 3073), i * 3072);
        }
        return { images, labels };
    };
    execFileSync('make', ['-s', '-C', ROOT, 'build/excite'], { stdio: 'inherit' });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-xresume-'));
    const ex = await loadExcite({ build: 'simd' });
    const tr = rec('data_batch_1.bin', 256), te = rec('test_batch.bin', 64);
    const train = ex.createDataset(tr.images, tr.labels), test = ex.createDataset(te.images, te.labels);
    const t = ex.createTrainer({ kind: 'CNN_SE', seed: 5, epochs: 2, batchSize: 32, augment: true }, train, test);
    for (let i = 0; i < 8; i++) t.step();
    t.endEpoch();
    t.step(); t.step();
    fs.writeFileSync(path.join(tmp, 'run.ckpt'), t.checkpoint());
    while (!t.done) { if (t.epochFinished) t.endEpoch(); else t.step(); }
    let ok = true, worst = Infinity;
    try {
        execFileSync(path.join(ROOT, 'build/excite'), ['train', '--resume', path.join(tmp, 'run.ckpt'), '--data', DATA,
            '--checkpoint', path.join(tmp, 'native.ckpt'), '--save', path.join(tmp, 'native.safetensors'),
            '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
        const m = ex.createModel('CNN_SE');
        m.loadSafetensors(new Uint8Array(fs.readFileSync(path.join(tmp, 'native.safetensors'))));
        worst = 0;
        for (const { name, dtype } of m.tensors()) {
            if (dtype !== 'F32') continue;
            const a = m.getTensor(name), b = t.model.getTensor(name);
            for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
    } catch (e) {
        ok = false;
        console.log(`     ${e.message}`);
    }
    check(ok && worst <= 1e-2, `the native program resumes a WebAssembly checkpoint (weights within ${worst.toExponential(2)} of the WebAssembly run's)`);
    ex.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
} else {
    console.log(`     (no CIFAR-10 in ${DATA}: native resume check skipped)`);
}

if (failures) {
    console.log(`wasm_trainer: ${failures} check(s) failed`);
    process.exit(1);
}
console.log('wasm_trainer: all checks passed');
