// wasm_parity.test.mjs - the WebAssembly builds against the native core (issue 4, checks 1-2):
//   - for CNN and CNN_SE, the plain, SIMD and threads builds create the same initial weights
//     as the native build from the same seed, give the same eval logits for the same weights
//     and images, and after one training step the same loss and updated weights (<= TOL);
//   - the threads build equals the single-threaded SIMD build (<= TOL; in fact bit-equal);
//   - the threads build with a pool of 3 workers: maxThreads 4, setThreads above it gives 4
//     (a thread beyond the pool would hang the first job), and three training steps with
//     1, 2, 3 and 4 threads give the SIMD build's bytes;
//   - loading a broken safetensors file throws a clear Error and the model loaded before
//     still works and gives the same logits.
// Native reference: tests/wasm_native_ref.c (built with `make build/tests/wasm_native_ref`),
// run with the scalar GEMM kernel (all checks) and with the machine's FMA kernel (logits and
// loss; the updated weights are only reported, see below).
// Images: the first B test images of $CIFAR10_DIR, or random bytes when there is no data.
// Prints the training speed of each build (not asserted).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExcite } from '../wasm/excite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOL = 1e-5;
const B = 16;
const SEED = 20240611;
const CONV_BIAS = /^conv\d\.bias$/;

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}

// safetensors -> Map(name -> Float32Array | BigInt64Array) (F32 and I64 only).
function readSafetensors(buf) {
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    const data = buf.subarray(8 + n);
    const out = new Map();
    for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const [a, b] = t.data_offsets;
        const bytes = new Uint8Array(data.subarray(a, b));   // copy: aligned
        out.set(name, t.dtype === 'I64' ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer));
    }
    return out;
}
function maxAbs(a, b) {
    if (a.length !== b.length) return Infinity;
    let m = 0;
    for (let i = 0; i < a.length; i++) {
        const d = Math.abs(Number(a[i]) - Number(b[i]));
        if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
    }
    return m;
}
// Largest difference over all tensors (but `skip`), and the tensor where it is.
function compareStates(got, want, skip = null) {
    let worst = 0, where = '';
    if (got.size !== want.size) return { worst: Infinity, where: `${got.size} vs ${want.size} tensors` };
    for (const [name, w] of want) {
        if (skip && skip.test(name)) continue;
        const g = got.get(name);
        const d = g ? maxAbs(g, w) : Infinity;
        if (d > worst || !g) { worst = d; where = name; }
    }
    return { worst, where };
}

// ---- inputs and native reference ----------------------------------------------------------
const dataDir = process.env.CIFAR10_DIR || path.join(ROOT, 'data/cifar10');
const images = new Uint8Array(B * 3072), labels = new Uint8Array(B);
if (fs.existsSync(path.join(dataDir, 'test_batch.bin'))) {
    const buf = fs.readFileSync(path.join(dataDir, 'test_batch.bin')).subarray(0, B * 3073);
    for (let i = 0; i < B; i++) {
        labels[i] = buf[i * 3073];
        images.set(buf.subarray(i * 3073 + 1, (i + 1) * 3073), i * 3072);
    }
} else {
    console.log('     (no CIFAR-10 data: random images)');
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    for (let i = 0; i < B; i++) labels[i] = i % 10;
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-parity-'));
fs.writeFileSync(path.join(tmp, 'images.bin'), images);
fs.writeFileSync(path.join(tmp, 'labels.bin'), labels);
execFileSync('make', ['-s', '-C', ROOT, 'build/tests/wasm_native_ref'], { stdio: 'inherit' });
function runNative(kind, kernel) {
    const out = path.join(tmp, `${kind}-${kernel}`);
    fs.mkdirSync(out);
    execFileSync(path.join(ROOT, 'build/tests/wasm_native_ref'),
                 [kind, String(SEED), path.join(tmp, 'images.bin'), path.join(tmp, 'labels.bin'), out, kernel]);
    const initBytes = fs.readFileSync(path.join(out, 'init.safetensors'));
    const lg = fs.readFileSync(path.join(out, 'logits.f32'));
    const [loss, correct] = fs.readFileSync(path.join(out, 'step.txt'), 'utf8').trim().split(/\s+/).map(Number);
    return { initBytes: new Uint8Array(initBytes), init: readSafetensors(initBytes),
             logits: new Float32Array(lg.buffer, lg.byteOffset, B * 10), loss, correct,
             after: readSafetensors(fs.readFileSync(path.join(out, 'after.safetensors'))) };
}
// native: the scalar GEMM kernel (the same float operations as WebAssembly, which has no
// FMA); nativeBest: the kernel the native program picks here (AVX2/AVX-512 with FMA).
const native = {}, nativeBest = {};
for (const kind of ['CNN', 'CNN_SE']) {
    native[kind] = runNative(kind, 'scalar');
    nativeBest[kind] = runNative(kind, 'auto');
}

// ---- each build --------------------------------------------------------------------------
const results = {};
for (const build of ['plain', 'simd', 'simd-threads']) {
    const ex = await loadExcite({ build, numThreads: 2 });
    check(ex.build === build, `${build}: loaded (${ex.threads} thread(s), kernel ${ex.kernel})`);
    results[build] = {};
    for (const kind of ['CNN', 'CNN_SE']) {
        const ref = native[kind];
        const m = ex.createModel(kind, { seed: SEED, maxBatch: B });
        const init = compareStates(readSafetensors(Buffer.from(m.saveSafetensors())), ref.init);
        check(init.worst <= TOL, `${build} ${kind}: initial weights from the seed = native (max diff ${init.worst.toExponential(2)} at ${init.where})`);
        m.loadSafetensors(ref.initBytes);
        const logits = m.logits(images);
        const dl = maxAbs(logits, ref.logits), dlb = maxAbs(logits, nativeBest[kind].logits);
        check(dl <= TOL && dlb <= TOL, `${build} ${kind}: logits = native (max diff ${dl.toExponential(2)}; ` +
              `${dlb.toExponential(2)} against the FMA kernel)`);

        // A broken file throws with the core's message, and the model is untouched.
        const broken = [ref.initBytes.subarray(0, ref.initBytes.length - 7), new Uint8Array(100).fill(0x7b),
                        new TextEncoder().encode('not a safetensors file at all')];
        let allThrew = true, messages = [];
        for (const bad of broken) {
            try { m.loadSafetensors(bad); allThrew = false; } catch (e) {
                if (!(e instanceof Error) || !/safetensors/.test(e.message)) allThrew = false;
                messages.push(e.message);
            }
        }
        const dl2 = maxAbs(m.logits(images), logits);
        check(allThrew && dl2 === 0, `${build} ${kind}: broken safetensors throw (“${messages[0]}”) and the model still works`);

        const t0 = performance.now();
        const { loss, correct } = m.trainStep(images, labels, {});
        const stepMs = performance.now() - t0;
        check(Math.abs(loss - ref.loss) <= TOL && correct === ref.correct,
              `${build} ${kind}: one training step loss ${loss.toFixed(6)} = native ${ref.loss.toFixed(6)} (diff ${Math.abs(loss - ref.loss).toExponential(2)})`);
        const lb = nativeBest[kind].loss;
        check(Math.abs(loss - lb) <= TOL, `${build} ${kind}: and = native FMA kernel's loss (diff ${Math.abs(loss - lb).toExponential(2)})`);
        const after = readSafetensors(Buffer.from(m.saveSafetensors()));
        const da = compareStates(after, ref.after);
        check(da.worst <= TOL, `${build} ${kind}: weights after the step = native (max diff ${da.worst.toExponential(2)}${da.where ? ' at ' + da.where : ''})`);
        // Against the FMA kernel the updated weights differ more, and that is expected: Adam's
        // first step moves each weight by lr * g / (|g| + eps), so where the gradient is nearly
        // zero, the last-bit differences FMA makes in g (~1e-9) become differences of up to lr
        // (1e-3). The conv biases are the extreme case: they feed batch norm, which subtracts
        // the batch mean, so their exact gradient is 0 and what is computed is rounding noise.
        // Reported, not asserted; the gradients themselves agree (logits and loss above).
        const dab = compareStates(after, nativeBest[kind].after, CONV_BIAS);
        console.log(`     ${build} ${kind}: against the native FMA kernel, weights after the step differ by ` +
                    `${dab.worst.toExponential(2)} at most (${dab.where}; conv biases excluded)`);
        results[build][kind] = { logits, after, stepMs };
        m.free();
    }
    // Training speed (printed only): 5 steps of 64 images after a warm-up step.
    const speed = [];
    for (const kind of ['CNN', 'CNN_SE']) {
        const m = ex.createModel(kind, { seed: 1, maxBatch: 64 });
        const x = new Uint8Array(64 * 3072), y = new Uint8Array(64);
        for (let i = 0; i < 4; i++) x.set(images, i * B * 3072);
        for (let i = 0; i < 64; i++) y[i] = labels[i % B];
        m.trainStep(x, y, {});
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) m.trainStep(x, y, {});
        speed.push(`${kind} ${(5 * 64 / ((performance.now() - t0) / 1000)).toFixed(0)} img/s`);
        m.free();
    }
    console.log(`     ${build}: training speed (batch 64): ${speed.join(', ')}`);
    ex.dispose();
}

for (const kind of ['CNN', 'CNN_SE']) {
    const a = results.simd[kind], b = results['simd-threads'][kind];
    const d = Math.max(maxAbs(a.logits, b.logits), compareStates(b.after, a.after).worst);
    check(d <= TOL, `threads = single-threaded (${kind}: max diff ${d.toExponential(2)})`);
}

// ---- thread counts beyond two, in one module ---------------------------------------------
{
    const steps = (ex, kind) => {
        const m = ex.createModel(kind, { seed: SEED, maxBatch: B });
        for (let i = 0; i < 3; i++) m.trainStep(images, labels, {});
        const bytes = Buffer.from(m.saveSafetensors());
        m.free();
        return bytes;
    };
    const simd = await loadExcite({ build: 'simd' });
    const want = { CNN: steps(simd, 'CNN'), CNN_SE: steps(simd, 'CNN_SE') };
    simd.dispose();
    const ex = await loadExcite({ build: 'simd-threads', numThreads: 1, maxThreads: 4 });
    check(ex.threads === 1 && ex.maxThreads === 4, `simd-threads, pool for 4: starts with ${ex.threads} thread, maxThreads ${ex.maxThreads}`);
    const over = ex.setThreads(8);
    check(over === 4, `setThreads(8) with a pool for 4 gives ${over} threads`);
    let bad = false;
    try { ex.setThreads(0); } catch (e) { bad = /whole number from 1 to 4/.test(e.message); }
    check(bad && ex.threads === 4, `setThreads(0) throws and leaves ${ex.threads} threads`);
    for (const n of [1, 2, 3, 4, 2]) {
        ex.setThreads(n);
        for (const kind of ['CNN', 'CNN_SE']) {
            const got = steps(ex, kind);
            check(ex.threads === n && got.equals(want[kind]), `${kind}: 3 training steps with ${ex.threads} thread(s) = the SIMD build, byte for byte`);
        }
    }
    ex.dispose();
}

fs.rmSync(tmp, { recursive: true, force: true });
if (failures) {
    console.log(`wasm_parity: ${failures} check(s) failed`);
    process.exit(1);
}
console.log('wasm_parity: all checks passed');
