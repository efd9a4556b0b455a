// gemm_wasm.test.mjs - tests/test_gemm.c, tests/test_conv_eval.c and tests/test_conv_train.c
// compiled to WebAssembly (SIMD128 and plain) and run in Node: the wasm-simd128 kernel and
// the scalar kernel against gemm_ref on every shape, transpose and accumulate combination of
// the native test, plus thread-count independence of training steps; the fused eval block
// (Winograd route for blocks 2 and 3) and the training convolution (Winograd forward, input
// and weight gradients) against the double-precision direct convolution. Builds into
// build/test-wasm/ with emcc (rebuilt when a source is newer). (Emscripten does not pass the
// environment through, so the full shape lists always run.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'build', 'test-wasm');
const core = fs.readdirSync(path.join(root, 'c')).filter((f) => f.endsWith('.c') && f !== 'main.c')
  .map((f) => path.join('c', f));
const headers = fs.readdirSync(path.join(root, 'c')).filter((f) => f.endsWith('.h')).map((f) => path.join('c', f));
fs.mkdirSync(out, { recursive: true });

let failures = 0;
for (const test of ['test_gemm', 'test_conv_eval', 'test_conv_train']) {
  const inputs = [...core, ...headers, `tests/${test}.c`];
  const newest = Math.max(...inputs.map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  for (const [name, flags] of [['simd', ['-msimd128']], ['plain', []]]) {
    const js = path.join(out, `${test}_${name}.js`);
    if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < newest) {
      const r = spawnSync(process.env.EMCC || 'emcc', ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror',
        '-ffp-contract=off', '-Ic', ...flags, '-sALLOW_MEMORY_GROWTH', '-sINITIAL_MEMORY=64MB',
        '-sENVIRONMENT=node', ...core, `tests/${test}.c`, '-o', js],
      { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_PATH: process.env.NODE_PATH || '/usr/share/nodejs' } });
      if (r.status !== 0) { console.log(`FAIL emcc ${test} (${name})`); failures++; continue; }
    }
    const r = spawnSync(process.execPath, ['--no-experimental-fetch', js], { cwd: root, encoding: 'utf8' });
    process.stdout.write(r.stdout.split('\n').map((l) => (l ? `[${name}] ${l}` : l)).join('\n'));
    if (r.status !== 0) {
      process.stdout.write(r.stderr.slice(-2000));
      console.log(`FAIL ${test} (${name} WebAssembly) exited with ${r.status}`);
      failures++;
    }
  }
}
if (failures) process.exit(1);
console.log('gemm_wasm: ok');
