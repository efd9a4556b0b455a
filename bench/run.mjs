// run.mjs - `make bench`: runs excite (native 1 and 2 threads; WebAssembly SIMD, SIMD +
// threads at 1 and 2 threads, and plain in Node), the baseline build of commit BENCH_BASE
// (native and WebAssembly SIMD, built by the Makefile in build/bench-base/, run next to the
// current build), and the peers (PyTorch with OpenBLAS and with the reference BLAS Debian
// installs; TensorFlow.js's WebAssembly backend) one after the other, in ROUNDS rounds of
// the whole list (so that a machine that speeds up or slows down over the minutes of the run
// shifts every system alike, not the ones that happened to run then); then the serial
// fraction of a training step at one thread (bench_model --serial, native and WebAssembly)
// and the page's own clock (bench/page_race.mjs, headless Chromium). Prints one table, the
// serial fractions with their predicted speed-ups, and each target of issue 16 as a ratio
// with pass/fail, and writes bench/results.json. Every figure is the median of the runs of
// all rounds (RUNS in all, split over the rounds; each process warms up first), with min-max.
// Benchmarks, not tests: nothing here fails on a slow figure.
//   node bench/run.mjs [--runs N] [--rounds R] [--only substring] [--no-page]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const build = path.join(root, 'build', 'bench');
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const RUNS = Number(opt('--runs', 9));
const ROUNDS = Math.max(1, Math.min(RUNS, Number(opt('--rounds', 3))));
const ONLY = opt('--only', '');
const PY = process.env.PYTHON || '/usr/bin/python3';
const NO_PAGE = argv.includes('--no-page');
const BASE = process.env.BENCH_BASE || '17bbef4';
const baseBuild = path.join(root, 'build', 'bench-base', BASE, 'build', 'bench');
const hasBase = fs.existsSync(path.join(baseBuild, 'bench_model_simd.js'));
const BASE_WASM = `baseline ${BASE} wasm SIMD`, BASE_NATIVE = `baseline ${BASE} native`;

// GEMM FLOPs of the CNN (conv + linear): forward; a training step is forward + weight and
// input gradients, minus conv1's input gradient. The SE blocks add < 0.1%.
const convs = [[3, 32, 32], [32, 64, 16], [64, 128, 8]]; // C, OC, H(=W)
let fwd = 2 * 2048 * 512 + 2 * 512 * 10;
for (const [c, oc, h] of convs) fwd += 2 * oc * h * h * c * 9;
const FLOP = { train: 3 * fwd - 2 * 32 * 32 * 32 * 27, infer64: fwd, infer1: fwd };
// Measured single-thread peaks on this kind of machine (issue 3), GFLOP/s per thread.
const PEAK = { avx512: 222, avx2: 111, wasm: 52 };

function openblasDir() {
  const dir = path.join(build, 'openblas');
  const lib = path.join(dir, 'root/usr/lib/x86_64-linux-gnu/openblas-openmp');
  if (fs.existsSync(path.join(lib, 'libblas.so.3'))) return lib;
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Debian's OpenBLAS (OpenMP flavour), unpacked here: nothing is installed system-wide.
    execFileSync('apt-get', ['download', 'libopenblas0-openmp'], { cwd: dir, stdio: 'ignore' });
    const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
    execFileSync('dpkg', ['-x', deb, 'root'], { cwd: dir });
    return fs.existsSync(path.join(lib, 'libblas.so.3')) ? lib : null;
  } catch { return null; }
}

const node = [process.execPath, '--no-experimental-fetch'];
const PT_KEPT = 'PyTorch 1.13 OpenBLAS, malloc kept';
const MALLOC_KEEP = 'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295';
const blas = openblasDir();
const systems = [
  { id: 'excite native', threads: 1, peak: 'native', cmd: [path.join(build, 'bench_model'), 'excite native', '1', RUNS] },
  { id: 'excite native', threads: 2, peak: 'native', cmd: [path.join(build, 'bench_model'), 'excite native', '2', RUNS] },
  ...(hasBase ? [{ id: BASE_NATIVE, threads: 1, peak: 'native', cmd: [path.join(baseBuild, 'bench_model'), BASE_NATIVE, '1', RUNS] }] : []),
  { id: 'excite wasm SIMD', threads: 1, peak: 'wasm', cmd: [...node, path.join(build, 'bench_model_simd.js'), 'excite wasm SIMD', '1', RUNS] },
  // the baseline right after the current build, so that both see the same machine
  ...(hasBase ? [{ id: BASE_WASM, threads: 1, peak: 'wasm', cmd: [...node, path.join(baseBuild, 'bench_model_simd.js'), BASE_WASM, '1', RUNS] }] : []),
  { id: 'excite wasm SIMD+threads', threads: 1, peak: 'wasm', cmd: [...node, path.join(build, 'bench_model_simd_threads.js'), 'excite wasm SIMD+threads', '1', RUNS] },
  { id: 'excite wasm SIMD+threads', threads: 2, peak: 'wasm', cmd: [...node, path.join(build, 'bench_model_simd_threads.js'), 'excite wasm SIMD+threads', '2', RUNS] },
  { id: 'excite wasm plain', threads: 1, peak: null, cmd: [...node, path.join(build, 'bench_model_plain.js'), 'excite wasm plain', '1', RUNS] },
  ...(blas ? [1, 2].map((t) => ({ id: 'PyTorch 1.13 OpenBLAS', threads: t, peak: 'avx512',
    env: { LD_LIBRARY_PATH: blas }, cmd: [PY, path.join(root, 'bench/bench_torch.py'), 'PyTorch 1.13 OpenBLAS', String(t), RUNS] })) : []),
  // The same, with glibc told never to give freed memory back to the system: as installed,
  // PyTorch's large per-step buffers are unmapped when freed and page-faulted in again at the
  // next step, which costs it about a third of its training speed on this machine.
  ...(blas ? [1, 2].map((t) => ({ id: PT_KEPT, threads: t, peak: 'avx512',
    env: { LD_LIBRARY_PATH: blas, GLIBC_TUNABLES: MALLOC_KEEP }, cmd: [PY, path.join(root, 'bench/bench_torch.py'), PT_KEPT, String(t), RUNS] })) : []),
  // slow and compared with nothing: three runs, in the first round only
  { id: 'PyTorch 1.13 reference BLAS', threads: 1, peak: 'avx512', env: { LD_LIBRARY_PATH: '' }, once: true,
    cmd: [PY, path.join(root, 'bench/bench_torch.py'), 'PyTorch 1.13 reference BLAS', '1', Math.min(RUNS, 3)] },
  { id: 'tfjs-wasm', threads: 1, peak: 'wasm', cmd: [...node, path.join(root, 'bench/bench_tfjs.mjs'), '1', RUNS] },
];

const median = (v) => { const s = [...v].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// Every round runs every system; a system's runs of all rounds are pooled (its last command
// argument is its number of runs: RUNS split over the rounds).
const runs = new Map(); // system|threads|model|mode -> { s, o (its first output line), img_s, img_s_cpu }
const load0 = os.loadavg()[0];
for (let round = 0; round < ROUNDS; round++) {
  const n = Math.floor(RUNS * (round + 1) / ROUNDS) - Math.floor(RUNS * round / ROUNDS);
  for (const s of systems) {
    if (ONLY && !s.id.includes(ONLY)) continue;
    if (s.once && round > 0) continue;
    const [cmd, ...args] = s.cmd.map(String);
    if (!s.once) args[args.length - 1] = String(n);
    process.stderr.write(`bench: round ${round + 1}/${ROUNDS}: ${s.id}, ${s.threads} thread(s) ...\n`);
    const r = spawnSync(cmd, args, { env: { ...process.env, ...(s.env || {}) }, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      process.stderr.write(`bench: ${s.id} failed (${r.error || r.status}): ${(r.stderr || '').slice(-400)}\n`);
      continue;
    }
    for (const line of r.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const o = JSON.parse(line), key = `${s.id}|${s.threads}|${o.model}|${o.mode}`;
      if (!runs.has(key)) runs.set(key, { s, o, img_s: [], img_s_cpu: [] });
      const e = runs.get(key);
      e.img_s.push(...o.img_s);
      if (o.img_s_cpu) e.img_s_cpu.push(...o.img_s_cpu);
    }
  }
}
const results = [];
for (const { s, o, img_s, img_s_cpu } of runs.values()) {
  const med = median(img_s);
  const gflops = med * FLOP[o.mode] * 1e-9;
  let peak = null;
  if (s.peak === 'native') peak = PEAK[o.kernel] || null;
  else if (s.peak) peak = PEAK[s.peak];
  results.push({
    system: s.id, model: o.model, mode: o.mode, threads: s.threads, kernel: o.kernel,
    img_s_median: med, img_s_min: Math.min(...img_s), img_s_max: Math.max(...img_s),
    img_s_cpu_median: img_s_cpu.length ? median(img_s_cpu) : null,
    runs: img_s.length, gflop_s: Math.round(gflops * 10) / 10,
    pct_peak: peak ? Math.round(1000 * gflops / (peak * s.threads)) / 10 : null,
  });
}
const load1 = os.loadavg()[0];

// ---- table ------------------------------------------------------------------------------
const get = (sys, model, mode, threads) =>
  results.find((r) => r.system === sys && r.model === model && r.mode === mode && r.threads === threads);
const fmt = (r, digits = 0) => r ? `${r.img_s_median.toFixed(digits)} (${r.img_s_min.toFixed(digits)}-${r.img_s_max.toFixed(digits)})` : '-';
const ms = (r) => r ? `${(1e3 / r.img_s_median).toFixed(2)} (${(1e3 / r.img_s_max).toFixed(2)}-${(1e3 / r.img_s_min).toFixed(2)})` : '-';

const cpu = (r) => r && r.img_s_cpu_median ? r.img_s_cpu_median.toFixed(0) : '-';
// Ratio of medians; for one thread also the ratio per CPU second, in brackets.
const ratio = (a, b) => {
  if (!a || !b) return '-';
  let t = (a.img_s_median / b.img_s_median).toFixed(2) + 'x';
  if (a.img_s_cpu_median && b.img_s_cpu_median) t += ` [${(a.img_s_cpu_median / b.img_s_cpu_median).toFixed(2)}x]`;
  return t;
};

const header = ['system', 'thr', 'model', 'train img/s', 'train /CPU-s', 'infer64 img/s', 'infer64 /CPU-s',
  'one image ms', 'GFLOP/s', '% peak', 'train vs PT-OpenBLAS', 'train vs PT malloc kept', 'infer64 vs TF.js', 'infer64 vs PT-OpenBLAS'];
const rows = [header];
const seen = new Set();
for (const r of results) {
  const key = `${r.system}|${r.threads}|${r.model}`;
  if (seen.has(key)) continue;
  seen.add(key);
  const tr = get(r.system, r.model, 'train', r.threads), i64 = get(r.system, r.model, 'infer64', r.threads);
  const i1 = get(r.system, r.model, 'infer1', r.threads);
  const ptT = get('PyTorch 1.13 OpenBLAS', r.model, 'train', r.threads);
  const ptI = get('PyTorch 1.13 OpenBLAS', r.model, 'infer64', r.threads);
  const ptK = get(PT_KEPT, r.model, 'train', r.threads);
  const tfI = get('tfjs-wasm', r.model, 'infer64', r.threads) || get('tfjs-wasm', r.model, 'infer64', 1);
  const main = tr || i64;
  const isPT = r.system.startsWith('PyTorch 1.13 OpenBLAS');
  rows.push([r.system + (r.kernel ? ` [${r.kernel}]` : ''), String(r.threads), r.model, fmt(tr), cpu(tr), fmt(i64), cpu(i64), ms(i1),
    main ? main.gflop_s.toFixed(1) + (tr ? '' : ' (inf)') : '-', main && main.pct_peak != null ? main.pct_peak.toFixed(0) + '%' : '-',
    isPT ? '' : ratio(tr, ptT), isPT ? '' : ratio(tr, ptK), r.system === 'tfjs-wasm' ? '' : ratio(i64, tfI), isPT ? '' : ratio(i64, ptI)]);
}
const width = header.map((_, c) => Math.max(...rows.map((row) => row[c].length)));
const line = (row) => '| ' + row.map((v, c) => v.padEnd(width[c])).join(' | ') + ' |';
console.log(`excite bench: median (min-max) of ${RUNS} runs after warm-up in ${ROUNDS} rounds, batch 64; ` +
  `load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${os.cpus().length} cores (${os.cpus()[0].model})`);
console.log(`GFLOP/s counts the conv + linear multiply-adds (${(FLOP.train / 1e6).toFixed(1)} MFLOP per training image, ` +
  `${(fwd / 1e6).toFixed(1)} per inference); % peak against ${PEAK.avx512} (AVX-512), ${PEAK.avx2} (AVX2), ` +
  `${PEAK.wasm} (WebAssembly SIMD) GFLOP/s per thread. TF.js cannot train (no Conv2DBackpropFilter in its WebAssembly backend).`);
console.log(`"${PT_KEPT}": GLIBC_TUNABLES=${MALLOC_KEEP}, so freed buffers stay mapped (PyTorch as installed page-faults ` +
  'its activation buffers back in at every step; excite allocates its buffers once).');
console.log('/CPU-s: images per CPU second of the process (one thread only): the speed on an idle machine, ' +
  'which wall time on a shared machine hides; ratios give it in [brackets].');
console.log(line(rows[0]));
console.log('|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const row of rows.slice(1)) console.log(line(row));

// ---- serial fraction (one thread) -------------------------------------------------------
const serial = [];
for (const [sys, cmd] of [['native', [path.join(build, 'bench_model')]],
                          ['wasm SIMD', [...node, path.join(build, 'bench_model_simd.js')]]]) {
  if (ONLY && !`excite ${sys}`.includes(ONLY)) continue;
  process.stderr.write(`bench: serial fraction, ${sys} ...\n`);
  const r = spawnSync(cmd[0], [...cmd.slice(1), `excite ${sys}`, '1', String(RUNS), '--serial'], { encoding: 'utf8' });
  if (r.status !== 0) { process.stderr.write(`bench: serial fraction ${sys} failed: ${(r.stderr || '').slice(-400)}\n`); continue; }
  for (const l of r.stdout.split('\n')) {
    if (!l.startsWith('{')) continue;
    const o = JSON.parse(l), f = (o.step_s - o.parallel_s) / o.step_s;
    const P = [2, 4, 8, 16];
    serial.push({ system: sys, model: o.model, step_ms: o.step_s * 1e3, serial_ms: (o.step_s - o.parallel_s) * 1e3, fraction: f,
      amdahl: Object.fromEntries(P.map((p) => [p, 1 / (f + (1 - f) / p)])),
      items: Object.fromEntries(P.map((p, k) => [p, o.step_s / (o.step_s - o.parallel_s + o.bound_s[k])])) });
  }
}
if (serial.length) {
  console.log('\nSerial fraction of a training step (batch 64, Adam included), measured at one thread: time outside parallel_for / step time;');
  console.log('predicted speed-ups: Amdahl (the parallel part divides evenly) and bounded by the item count of each parallel_for:');
  for (const s of serial) {
    const sp = (o) => [2, 4, 8, 16].map((p) => `${p}: ${o[p].toFixed(2)}x`).join(', ');
    console.log(`  ${s.system.padEnd(9)} ${s.model.padEnd(6)} step ${s.step_ms.toFixed(1)} ms, one thread ${s.serial_ms.toFixed(2)} ms, ` +
      `serial fraction ${(100 * s.fraction).toFixed(1)}%; Amdahl ${sp(s.amdahl)}; with item counts ${sp(s.items)}`);
  }
}

// ---- the page's own clock (bench/page_race.mjs) -----------------------------------------
let page = null;
if (!NO_PAGE && !ONLY) {
  process.stderr.write('bench: the page\'s default race in headless Chromium (one thread, then threads) ...\n');
  const r = spawnSync(process.execPath, [path.join(root, 'bench/page_race.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const l = (r.stdout || '').split('\n').find((x) => x.startsWith('{"page_race"'));
  if (r.status === 0 && l) { page = JSON.parse(l).page_race; console.log('\n' + r.stdout.split('\n').filter((x) => !x.startsWith('{')).join('\n').trim()); }
  else process.stderr.write(`bench: page_race failed (${r.status})\n`);
}

// ---- the targets of issue 16 ------------------------------------------------------------
const targets = [];
const target = (what, value, ok, detail) => targets.push({ what, value, pass: value == null ? null : ok, detail });
const med = (r) => (r ? r.img_s_median : null);
const rat = (a, b) => (a && b ? a / b : null);
for (const model of ['CNN', 'CNN_SE']) {
  const w1 = get('excite wasm SIMD', model, 'train', 1), base = get(BASE_WASM, model, 'train', 1);
  const ptk = get(PT_KEPT, model, 'train', 1), n1 = get('excite native', model, 'train', 1), n2 = get('excite native', model, 'train', 2);
  const t1 = get('excite wasm SIMD+threads', model, 'train', 1), t2 = get('excite wasm SIMD+threads', model, 'train', 2);
  const cpuRatio = w1 && base && w1.img_s_cpu_median && base.img_s_cpu_median ? ` [per CPU second ${(w1.img_s_cpu_median / base.img_s_cpu_median).toFixed(2)}x]` : '';
  const v = rat(med(w1), med(base));
  target(`${model}: wasm SIMD 1 thread training vs ${BASE} >= 1.5x`, v, v >= 1.5, hasBase ? cpuRatio : 'no baseline build');
  const v2 = rat(med(w1), med(ptk));
  target(`${model}: wasm SIMD 1 thread training vs PyTorch malloc kept >= 0.6x`, v2, v2 >= 0.6);
  const v3 = rat(med(t2), med(t1));
  target(`${model}: wasm 2 threads / 1 thread training >= 1.9x`, v3, v3 >= 1.9);
  const v4 = rat(med(n2), med(n1));
  target(`${model}: native 2 threads / 1 thread training >= 1.9x`, v4, v4 >= 1.9);
  for (const sys of ['native', 'wasm SIMD']) {
    const s = serial.find((x) => x.system === sys && x.model === model);
    target(`${model}: ${sys} predicted 8-thread speed-up (Amdahl) >= 6x`, s ? s.amdahl[8] : null, s && s.amdahl[8] >= 6,
      s ? `serial fraction ${(100 * s.fraction).toFixed(1)}%; bounded by item counts ${s.items[8].toFixed(2)}x` : '');
  }
  const v5 = rat(med(n1), med(ptk));
  target(`${model}: native 1 thread training vs PyTorch malloc kept >= 1.5x`, v5, v5 >= 1.5);
  const i64 = get('excite wasm SIMD', model, 'infer64', 1), tf = get('tfjs-wasm', model, 'infer64', 1);
  const v6 = rat(med(i64), med(tf));
  target(`${model}: wasm SIMD inference (batch 64) vs TF.js wasm >= 2x`, v6, v6 >= 2);
  for (const sys of ['excite wasm SIMD', 'excite native']) {
    const one = get(sys, model, 'infer1', 1);
    const v7 = one ? 1e3 / one.img_s_median : null;
    target(`${model}: ${sys.replace('excite ', '')} 1 thread, one image <= 0.35 ms`, v7, v7 <= 0.35);
  }
}
if (page) {
  target('page race with threads <= 30 s', page.threads ? page.threads.seconds : null, page.threads && page.threads.seconds <= 30,
    page.threads ? `${page.threads.build}, ${page.threads.threads} threads` : '');
  target('page race embedded (one thread) <= 60 s', page.one ? page.one.seconds : null, page.one && page.one.seconds <= 60,
    page.one ? `${page.one.build}, ${page.one.threads} thread${page.one.modelWorkers ? ' per model, two workers' : ''}` : '');
}
console.log('\nTargets (issue 16; ratios of figures measured in this run):');
for (const t of targets) {
  const val = t.value == null ? '-' : /ms$/.test(t.what) ? `${t.value.toFixed(3)} ms` : / s$/.test(t.what) ? `${t.value.toFixed(1)} s` : `${t.value.toFixed(2)}x`;
  const mark = t.pass == null ? 'not measured' : t.pass ? 'pass' : 'FAIL';
  console.log(`  ${mark.padEnd(12)} ${t.what.padEnd(66)} ${val}${t.detail ? '  ' + t.detail : ''}`);
}

fs.writeFileSync(path.join(root, 'bench/results.json'), JSON.stringify({ results, serial, page, targets }, null, 1) + '\n');
console.log('written bench/results.json');
