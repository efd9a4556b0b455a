// bench_tfjs.mjs - TensorFlow.js peer for `make bench`: the lesson's CNN and CNN_SE written
// with tfjs-core ops on the WebAssembly backend (XNNPACK, SIMD), inference at batch 64 and
// one image, eval mode (batch-norm with running statistics). Training is not measured: the
// WebAssembly backend has no Conv2DBackpropFilter kernel. The .wasm files are read from
// node_modules (no network). Prints one JSON object per line, like bench/bench_model.c.
//   node bench/bench_tfjs.mjs [THREADS] [RUNS]
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
const wasm = require('@tensorflow/tfjs-backend-wasm');

const threads = Number(process.argv[2] || 1);
const runs = Number(process.argv[3] || 5);
const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
wasm.setWasmPaths(dist + '/');
wasm.setThreadsCount(threads);
await tf.setBackend('wasm');
await tf.ready();

function rand(shape, scale) { return tf.randomUniform(shape, -scale, scale, 'float32', 1); }

function makeNet(se) {
  const chans = [3, 32, 64, 128];
  const blocks = [];
  for (let i = 0; i < 3; i++) {
    const c = chans[i + 1], r = c / 16;
    blocks.push({
      w: rand([3, 3, chans[i], c], 0.2), b: rand([c], 0.1),
      mean: rand([c], 0.1), variance: tf.add(rand([c], 0.1), 1), gamma: tf.ones([c]), beta: tf.zeros([c]),
      se1: se ? rand([c, r], 0.3) : null, se2: se ? rand([r, c], 0.3) : null,
    });
  }
  const fc1 = rand([2048, 512], 0.02), fb1 = rand([512], 0.1);
  const fc2 = rand([512, 10], 0.05), fb2 = rand([10], 0.1);
  return (x) => tf.tidy(() => {
    for (const k of blocks) {
      x = tf.add(tf.conv2d(x, k.w, 1, 'same'), k.b);
      x = tf.relu(tf.batchNorm(x, k.mean, k.variance, k.beta, k.gamma, 1e-5));
      if (k.se1) {
        const s = tf.sigmoid(tf.matMul(tf.relu(tf.matMul(tf.mean(x, [1, 2]), k.se1)), k.se2));
        x = tf.mul(x, tf.reshape(s, [s.shape[0], 1, 1, s.shape[1]]));
      }
      x = tf.maxPool(x, 2, 2, 'valid');
    }
    x = tf.relu(tf.add(tf.matMul(tf.reshape(x, [x.shape[0], 2048]), fc1), fb1));
    return tf.add(tf.matMul(x, fc2), fb2);
  });
}

function timed(fn, images, seconds) {
  fn(); fn();
  let t0 = performance.now();
  fn();
  const reps = Math.floor(seconds / Math.max((performance.now() - t0) / 1e3, 1e-6)) + 1;
  const out = [], cpu = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    out.push(Math.round(images * reps / ((performance.now() - t0) / 1e3) * 100) / 100);
    const c = process.cpuUsage(c0);
    cpu.push(Math.round(images * reps / ((c.user + c.system) * 1e-6) * 100) / 100);
  }
  return [out, cpu];
}

const x64 = rand([64, 32, 32, 3], 1), x1 = rand([1, 32, 32, 3], 1);
const system = `tfjs-wasm ${tf.version_core}`;
for (const [name, se] of [['CNN', false], ['CNN_SE', true]]) {
  const net = makeNet(se);
  const run = (x) => () => { const y = net(x); y.dataSync(); y.dispose(); };
  for (const [mode, x, n, secs] of [['infer64', x64, 64, 0.2], ['infer1', x1, 1, 0.1]]) {
    const [img_s, img_s_cpu] = timed(run(x), n, secs);
    const o = { system, model: name, mode, threads: wasm.getThreadsCount(), img_s };
    if (o.threads === 1) o.img_s_cpu = img_s_cpu;
    console.log(JSON.stringify(o));
  }
}
