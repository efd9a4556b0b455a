// worker_shapes.test.mjs - the training worker (wasm/worker.mjs, run in a Node.js worker thread
// by tests/worker_node_shim.mjs) with the start message's reduction, classes, init and
// freezeConv: CNN and CNN_SE race on three classes of generated images, CNN_SE fine-tuned from
// weights/cnn_se.safetensors with frozen convolution blocks; the run, batch and epoch events,
// the evaluation (3 x 3), the weights (their class names) and a resumed checkpoint keep the
// classes. Bad class names and a mismatched init are refused with a message.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { loadExcite } from '../wasm/excite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const NAMES = ['猫', 'dog', 'Ünïcödé'];

function images(n, seed) {
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const x = new Uint8Array(n * 3072), y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
        y[i] = i % 3;
        for (let j = 0; j < 3072; j++) x[i * 3072 + j] = (Math.floor(j / 1024) === y[i] ? 170 : 40) + Math.floor(rnd() * 60);
    }
    return { images: x, labels: y };
}

const w = new Worker(path.join(ROOT, 'tests/worker_node_shim.mjs'));
const events = [];
const waiters = [];
w.on('message', (m) => {
    events.push(m);
    for (const wt of [...waiters]) if (wt.pred(m)) { waiters.splice(waiters.indexOf(wt), 1); wt.resolve(m); }
});
w.on('error', (e) => { console.log(`FAIL worker error: ${e.message}`); process.exit(1); });
// the first event from now on that satisfies pred
const next = (pred) => new Promise((resolve) => waiters.push({ pred, resolve }));
const send = (msg) => w.postMessage(msg);

try {
    let ev = next((m) => m.type === 'ready');
    send({ type: 'init', build: 'simd' });
    await ev;
    ev = next((m) => m.type === 'data-ready' || m.type === 'error');
    send({ type: 'data', train: images(24, 1), test: images(9, 2) });
    check((await ev).type === 'data-ready', 'data: 24 training and 9 test images of 3 classes');

    // refusals
    ev = next((m) => m.type === 'error');
    send({ type: 'start', models: ['CNN'], classes: ['Cat', 'cat', 'x'] });
    check(/duplicate class names/.test((await ev).message), 'start with duplicate class names is refused');
    const shipped = new Uint8Array(fs.readFileSync(path.join(ROOT, 'weights/cnn_se.safetensors')));
    ev = next((m) => m.type === 'error');
    send({ type: 'start', models: ['CNN_SE'], classes: NAMES, reduction: 8, init: shipped });
    check(/hidden sizes/.test((await ev).message), 'start with init of another reduction ratio is refused');

    // the race: CNN from scratch, CNN_SE fine-tuned and frozen
    const run = next((m) => m.type === 'run');
    const done = next((m) => m.type === 'state' && m.state === 'done');
    const ckpt = next((m) => m.type === 'checkpoint' && m.reason === 'epoch');
    send({ type: 'start', models: ['CNN', 'CNN_SE'], settings: { epochs: 1, batchSize: 8, seed: 3 },
           classes: NAMES, init: { CNN_SE: shipped.slice() }, freezeConv: true, reduction: 16 });
    const r = await run;
    check(same(r.classes, NAMES) && r.settings.freezeConv === true && r.settings.reduction === 16,
          `run: classes ${JSON.stringify(r.classes)}, freezeConv, reduction 16`);
    const state = (await ckpt).state;
    await done;
    const batches = events.filter((m) => m.type === 'batch');
    const epochs = events.filter((m) => m.type === 'epoch');
    check(batches.length === 6 && batches.every((b) => Number.isFinite(b.loss)) && epochs.length === 2,
          `batch and epoch events: ${batches.length} batches, ${epochs.length} epochs`);
    check(same(state.classes, NAMES) && state.trainers.CNN_SE instanceof Uint8Array, 'the checkpoint state has the classes');
    ev = next((m) => m.type === 'evaluation');
    send({ type: 'evaluate', model: 'CNN_SE', id: 1 });
    const res = (await ev).result;
    check(res.numClasses === 3 && res.confusion.length === 9 && res.classTotal.length === 3 && res.n === 9,
          'evaluate: 3 classes, a 3 x 3 confusion matrix');
    ev = next((m) => m.type === 'weights');
    send({ type: 'get-weights', model: 'CNN_SE', id: 2 });
    const bytes = (await ev).bytes;
    const ex = await loadExcite({ build: 'simd', threads: false });
    const info = ex.weightsInfo(bytes);
    const pre = ex.modelFromSafetensors(shipped), got = ex.modelFromSafetensors(bytes);
    check(same(info.classes, NAMES) && same(got.getTensor('conv2.weight'), pre.getTensor('conv2.weight')) &&
          !same(got.getTensor('fc1.weight'), pre.getTensor('fc1.weight')),
          'weights: the class names; frozen conv2 is the pretrained one, fc1 trained');
    ex.dispose();

    // resume the epoch checkpoint (after stop): the classes come back
    const run2 = next((m) => m.type === 'run');
    send({ type: 'settings', settings: { epochs: 2 } });
    send({ type: 'stop' });
    send({ type: 'start', resume: state });
    const r2 = await run2;
    check(same(r2.classes, NAMES), 'resumed run: the classes of the checkpoint');
    await next((m) => m.type === 'state' && m.state === 'done');
} finally {
    await w.terminate();
}
if (failures) { console.log(`worker_shapes: ${failures} FAILED`); process.exit(1); }
console.log('worker_shapes: ok');
