// model-stats.test.mjs - the lesson's parameter and FLOP counts (web/js/model-stats.mjs):
// parameters per layer and in total equal the core's (model tensors and numParams of the
// WebAssembly module), FLOPs equal the counts written out by hand from the layer shapes,
// the safetensors header reader agrees with the model, and wrong shapes are refused.
import { loadExcite } from '../wasm/excite.mjs';
import { layerStats, seOverhead, safetensorsTensors } from '../web/js/model-stats.mjs';

let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}

const ex = await loadExcite({ threads: false });
const models = { CNN: ex.createModel('CNN', { seed: 3, maxBatch: 1 }), CNN_SE: ex.createModel('CNN_SE', { seed: 3, maxBatch: 1 }) };
const st = {};
for (const [kind, m] of Object.entries(models)) {
    const tensors = m.tensors();
    st[kind] = layerStats(tensors);
    check(st[kind].totalParams === m.numParams, `${kind}: ${st[kind].totalParams} parameters = core's numParams ${m.numParams}`);
    for (const l of st[kind].layers) {
        const want = tensors.filter((t) => t.trainable && t.name.startsWith(l.name + '.')).reduce((a, t) => a + t.numel, 0);
        if (want !== l.params) check(false, `${kind} ${l.name}: ${l.params} parameters, the core's trainable tensors say ${want}`);
    }
    const fromFile = layerStats(safetensorsTensors(m.saveSafetensors({ half: false })));
    check(JSON.stringify(fromFile) === JSON.stringify(st[kind]), `${kind}: the same counts from the saved safetensors header`);
}

// FLOPs by hand: conv 2*OC*IC*9*H*W + OC*H*W (bias); BN 2/value; ReLU 1/value; pool 3/output;
// SE: C*H*W + C (mean), 2*R*C + R + 2*C*R (FC1, ReLU, FC2), 4*C (sigmoid), C*H*W (scale).
const byName = (kind, n) => st[kind].layers.find((l) => l.name === n);
const conv = (OC, IC, H) => 2 * OC * IC * 9 * H * H + OC * H * H;
const se = (C, H) => { const R = C / 16; return C * H * H + C + 2 * R * C + R + 2 * C * R + 4 * C + C * H * H; };
const want = { conv1: conv(32, 3, 32), conv2: conv(64, 32, 16), conv3: conv(128, 64, 8), bn2: 2 * 64 * 256,
    pool3: 3 * 128 * 16, fc1: 2 * 2048 * 512 + 512, fc2: 2 * 512 * 10 + 10, ca1: se(32, 32), ca2: se(64, 16), ca3: se(128, 8) };
for (const [n, f] of Object.entries(want)) {
    const got = byName(n.startsWith('ca') ? 'CNN_SE' : 'CNN', n).flops;
    check(got === f, `${n}: ${got} FLOPs (by hand ${f})`);
}
const o = seOverhead(st.CNN, st.CNN_SE);
check(o.extraParams === 2 * (32 * 2 + 64 * 4 + 128 * 8), `SE adds ${o.extraParams} parameters (2*C*C/16 per block, no biases)`);
check(o.extraFlops === se(32, 32) + se(64, 16) + se(128, 8), `SE adds ${o.extraFlops} FLOPs (${(100 * o.flopShare).toFixed(3)} %), FC part ${o.seFcFlops} (${(100 * o.fcFlopShare).toFixed(4)} %)`);

// wrong shapes are refused with a message naming the tensor
const bad = models.CNN_SE.tensors().map((t) => (t.name === 'ca2.fc.0.weight' ? { ...t, shape: [4, 32] } : t));
let msg = '';
try { layerStats(bad); } catch (e) { msg = e.message; }
check(/ca2/.test(msg), `a wrong SE shape is refused: "${msg}"`);
const missing = models.CNN.tensors().filter((t) => t.name !== 'fc1.weight');
msg = '';
try { layerStats(missing); } catch (e) { msg = e.message; }
check(/fc1\.weight/.test(msg), `a missing tensor is refused: "${msg}"`);

for (const m of Object.values(models)) m.free();
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
