// wasm_tensor_api.test.mjs - the tensor table of wasm/api.c (ex_tensor_*) refuses a NULL
// model, a tensor index out of range and a dimension out of range (-1 or NULL, with the
// reason in ex_last_error()) instead of reading whatever lies at address 0, and
// Model.tensorAt turns that into an Error that says what was wrong. Both WebAssembly
// builds without threads; no data needed.
import { loadExcite } from '../wasm/excite.mjs';

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
function throws(fn, pattern, what) {
    try {
        fn();
        check(false, `${what}: no error`);
    } catch (e) {
        check(e instanceof Error && pattern.test(e.message), `${what}: ${e.message}`);
    }
}

for (const build of ['simd', 'plain']) {
    const ex = await loadExcite({ build, threads: false });
    const m = ex.createModel('CNN_SE', { seed: 1, maxBatch: 1 });
    const raw = ex._m, p = m._p;
    const n = raw._ex_model_num_tensors(p);
    check(n === m.tensors().length && n > 0, `${build}: ${n} tensors`);

    // The C API: every accessor, each way of being wrong.
    const ints = ['_ex_tensor_ndim', '_ex_tensor_numel', '_ex_tensor_trainable', '_ex_tensor_dtype'];
    for (const f of ints) {
        check(raw[f](p, n) === -1 && /tensor index \d+ is out of range \[0, \d+\)/.test(ex._lastError()),
              `${build}: ${f}(model, ${n}) = -1: ${ex._lastError()}`);
        check(raw[f](p, -1) === -1, `${build}: ${f}(model, -1) = -1`);
        check(raw[f](0, 0) === -1 && /no model/.test(ex._lastError()),
              `${build}: ${f}(NULL, 0) = -1: ${ex._lastError()}`);
    }
    for (const f of ['_ex_tensor_name', '_ex_tensor_data']) {
        check(raw[f](p, n) === 0 && /out of range/.test(ex._lastError()), `${build}: ${f}(model, ${n}) = NULL`);
        check(raw[f](p, 1 << 30) === 0, `${build}: ${f}(model, 2^30) = NULL`);
        check(raw[f](0, 0) === 0 && /no model/.test(ex._lastError()), `${build}: ${f}(NULL, 0) = NULL`);
    }
    // conv1.weight is (32, 3, 3, 3): dimensions 0..3 only.
    check(raw._ex_tensor_dim(p, 0, 3) === 3 && raw._ex_tensor_dim(p, 0, 0) === 32, `${build}: conv1.weight dims`);
    check(raw._ex_tensor_dim(p, 0, 4) === -1 && /dimension 4 .*conv1\.weight.*\[0, 4\)/.test(ex._lastError()),
          `${build}: _ex_tensor_dim(model, 0, 4) = -1: ${ex._lastError()}`);
    check(raw._ex_tensor_dim(p, 0, -1) === -1, `${build}: _ex_tensor_dim(model, 0, -1) = -1`);
    check(raw._ex_tensor_dim(p, n, 0) === -1 && /out of range/.test(ex._lastError()),
          `${build}: _ex_tensor_dim(model, ${n}, 0) = -1`);
    check(raw._ex_tensor_dim(0, 0, 0) === -1, `${build}: _ex_tensor_dim(NULL, 0, 0) = -1`);
    // Valid calls still work after the errors.
    check(ex._str(raw._ex_tensor_name(p, 0)) === 'conv1.weight' && raw._ex_tensor_data(p, 0) !== 0,
          `${build}: tensor 0 is conv1.weight with data`);

    // The wrapper: the same table by index, and clear Errors.
    const t0 = m.tensorAt(0);
    check(t0.name === 'conv1.weight' && t0.shape.join(',') === '32,3,3,3' && t0.numel === 864 &&
          t0.trainable && t0.dtype === 'F32', `${build}: tensorAt(0) = ${JSON.stringify(t0)}`);
    check(JSON.stringify(m.tensors()[n - 1]) === JSON.stringify(m.tensorAt(n - 1)),
          `${build}: tensorAt(${n - 1}) equals tensors()[${n - 1}]`);
    throws(() => m.tensorAt(n), new RegExp(`tensorAt: tensor index ${n} is out of range \\[0, ${n}\\)`),
           `${build}: tensorAt(${n})`);
    throws(() => m.tensorAt(-1), /out of range/, `${build}: tensorAt(-1)`);
    throws(() => m.tensorAt(1.5), /an integer/, `${build}: tensorAt(1.5)`);
    throws(() => m.tensorAt('0'), /an integer/, `${build}: tensorAt('0')`);
    m.free();
    throws(() => m.tensorAt(0), /freed/, `${build}: tensorAt on a freed model`);
}

if (failures) {
    console.error(`wasm_tensor_api: ${failures} failure(s)`);
    process.exit(1);
}
console.log('wasm_tensor_api: ok');
