// wasm_imagefolder.test.mjs - the page's way and the program's way through the same
// ImageFolder set give the same data and the same first batch: the generated set
// (tests/make_imagefolder.py) read in the canonical order (classes and pictures sorted by name
// in byte order), each picture through ex.decodeImage (c/image.c, as `excite predict`), split
// by ex.splitImages with the run's seed, trained by a Trainer with the folder's classes; and
// `excite train --images` on the same folder with the same seed: the same number of
// training and test pictures and the same first-batch loss (within 1e-4: the native AVX2/AVX-512
// kernels round differently from WebAssembly's).
import { execFileSync, spawnSync } from 'node:child_process';
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
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-if-'));
const dir = path.join(tmp, 'set');
execFileSync('/usr/bin/python3', [path.join(ROOT, 'tests/make_imagefolder.py'), dir, '--per-class', '40', '--seed', '3'],
             { stdio: 'inherit' });
execFileSync('make', ['-s', '-C', ROOT, 'build/excite'], { stdio: 'inherit' });

// byte order, as the C side (strcmp) and torchvision's ImageFolder sort
const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const classes = fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort(byBytes);
const ex = await loadExcite({ build: 'simd', threads: false });
const images = [], labels = [];
classes.forEach((c, label) => {
    for (const f of fs.readdirSync(path.join(dir, c)).sort(byBytes)) {
        images.push(ex.decodeImage(new Uint8Array(fs.readFileSync(path.join(dir, c, f)))).input);
        labels.push(label);
    }
});
const y = Uint8Array.from(labels);
const seed = 7;
const split = ex.splitImages(y, { classes, seed });
const gather = (idx) => {
    const im = new Uint8Array(idx.length * 3072), lb = new Uint8Array(idx.length);
    idx.forEach((i, k) => { im.set(images[i], k * 3072); lb[k] = y[i]; });
    return ex.createDataset(im, lb);
};
const train = gather(split.train), test = gather(split.test);
const t = ex.createTrainer({ kind: 'CNN_SE', seed, batchSize: 16, epochs: 1 }, train, test, { classes });
const first = t.step();

const run = spawnSync(path.join(ROOT, 'build/excite'),
    ['train', '--images', dir, '--model', 'cnn_se', '--seed', String(seed), '--batch', '16', '--epochs', '1',
     '--quiet', '--threads', '1', '--csv', path.join(tmp, 'run')], { encoding: 'utf8' });
check(run.status === 0, `excite train --images exits 0${run.status ? ': ' + run.stderr : ''}`);
const m = /(\d+) training images, (\d+) test images/.exec(run.stderr) || [0, -1, -1];
check(Number(m[1]) === train.n && Number(m[2]) === test.n, `excite train --images: ${m[1]} training and ${m[2]} test pictures, as the page's split`);
const row = fs.readFileSync(path.join(tmp, 'run-batches.csv'), 'utf8').split('\n')[1].split(',');
const nativeLoss = Number(row[3]);
check(train.n + test.n === 120 && train.n === 96 && test.n === 24, `the split: ${train.n} training and ${test.n} test pictures`);
check(Math.abs(first.loss - nativeLoss) <= 1e-4,
      `first-batch loss: WebAssembly ${first.loss.toFixed(6)}, excite train --images ${nativeLoss.toFixed(6)}`);
t.free(); train.free(); test.free();
ex.dispose();
fs.rmSync(tmp, { recursive: true, force: true });
if (failures) { console.log(`wasm_imagefolder: ${failures} FAILED`); process.exit(1); }
console.log('wasm_imagefolder: ok');
