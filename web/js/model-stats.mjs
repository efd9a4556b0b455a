// model-stats.mjs - parameter and FLOP counts per layer of CNN and CNN_SE, computed from the
// model's tensors (names and shapes of the state dict) and the layer shapes they imply.
// Pure functions, no DOM: used by the lesson in the page and by the tests in Node.
// Not a profiler: FLOPs are counted, not measured.
//
// Counting convention (forward pass of one 3x32x32 image, eval mode):
//   a multiply-add is 2 FLOPs; conv/linear: 2*MACs + one add per output for the bias;
//   batch-norm (eval, folded to a per-channel affine map): 2 per element;
//   ReLU: 1 per element; max-pool 2x2: 3 comparisons per output;
//   SE: squeeze = one add per input element + one divide per channel, FC1 and FC2 = 2*MACs,
//       ReLU 1 per hidden unit, sigmoid counted as 4 per channel (exp, add, divide, negate),
//       scale = one multiply per element.
// Running statistics (running_mean, running_var, num_batches_tracked) are buffers, not
// parameters, and are not counted as parameters.

const IMG = 32;

// Tensors: [{ name, shape: number[] }] (numel and trainable are derived when absent).
function numel(shape) { return shape.reduce((a, b) => a * b, 1); }
function isParam(name) {
    return !/running_mean$|running_var$|num_batches_tracked$/.test(name);
}

// Returns { layers: [{ name, kind, outShape, params, flops }], totalParams, totalFlops }
// in network order. Throws an Error naming the tensor if a shape is not the expected one.
export function layerStats(tensors) {
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const get = (name) => byName.get(name);
    const shapeOf = (name) => {
        const t = get(name);
        if (!t) throw new Error(`model-stats: tensor ${name} is missing`);
        return Array.from(t.shape);
    };
    const paramsOf = (prefix) => {
        let n = 0;
        for (const t of tensors) {
            if (t.name.startsWith(prefix + '.') && isParam(t.name)) n += numel(Array.from(t.shape));
        }
        return n;
    };

    const layers = [];
    let C = 3, H = IMG, W = IMG;
    for (let b = 1; b <= 3; b++) {
        const [OC, IC, KH, KW] = shapeOf(`conv${b}.weight`);
        if (IC !== C) throw new Error(`model-stats: conv${b}.weight has ${IC} input channels, expected ${C}`);
        const outConv = OC * H * W;
        layers.push({ name: `conv${b}`, kind: 'conv', outShape: [OC, H, W],
            params: paramsOf(`conv${b}`), flops: 2 * OC * IC * KH * KW * H * W + outConv });
        C = OC;
        layers.push({ name: `bn${b}`, kind: 'bn', outShape: [C, H, W],
            params: paramsOf(`bn${b}`), flops: 2 * C * H * W });
        layers.push({ name: `relu${b}`, kind: 'relu', outShape: [C, H, W], params: 0, flops: C * H * W });
        if (get(`ca${b}.fc.0.weight`)) {
            const [R, C1] = shapeOf(`ca${b}.fc.0.weight`);
            const [C2, R2] = shapeOf(`ca${b}.fc.2.weight`);
            if (C1 !== C || C2 !== C || R2 !== R) throw new Error(`model-stats: ca${b} shapes do not match ${C} channels`);
            const squeeze = C * H * W + C;
            const fc = 2 * R * C + R + 2 * C * R;   // FC1, ReLU, FC2
            const sigmoid = 4 * C;
            const scale = C * H * W;
            layers.push({ name: `ca${b}`, kind: 'se', outShape: [C, H, W], params: paramsOf(`ca${b}`),
                flops: squeeze + fc + sigmoid + scale, R, hidden: R, reduction: C / R,   // R: hidden units (C / reduction)
                parts: { squeeze, fc, sigmoid, scale } });
        }
        H /= 2; W /= 2;
        layers.push({ name: `pool${b}`, kind: 'pool', outShape: [C, H, W], params: 0, flops: 3 * C * H * W });
    }
    let n = C * H * W;
    for (const name of ['fc1', 'fc2']) {
        const [OC, IC] = shapeOf(`${name}.weight`);
        if (IC !== n) throw new Error(`model-stats: ${name}.weight has ${IC} inputs, expected ${n}`);
        layers.push({ name, kind: 'fc', outShape: [OC], params: paramsOf(name), flops: 2 * OC * IC + OC });
        if (name === 'fc1') layers.push({ name: 'relu4', kind: 'relu', outShape: [OC], params: 0, flops: OC });
        n = OC;
    }
    const totalParams = layers.reduce((a, l) => a + l.params, 0);
    const totalFlops = layers.reduce((a, l) => a + l.flops, 0);
    // Every parameter tensor must belong to a counted layer.
    let all = 0;
    for (const t of tensors) if (isParam(t.name)) all += numel(Array.from(t.shape));
    if (all !== totalParams) throw new Error(`model-stats: ${all - totalParams} parameters belong to no known layer`);
    return { layers, totalParams, totalFlops };
}

// CNN vs CNN_SE: what the SE blocks add, from the two models' stats.
export function seOverhead(cnn, se) {
    const seLayers = se.layers.filter((l) => l.kind === 'se');
    const seParams = seLayers.reduce((a, l) => a + l.params, 0);
    const seFlops = seLayers.reduce((a, l) => a + l.flops, 0);
    const seFcFlops = seLayers.reduce((a, l) => a + l.parts.fc, 0);
    return {
        extraParams: se.totalParams - cnn.totalParams,
        extraFlops: se.totalFlops - cnn.totalFlops,
        seParams, seFlops, seFcFlops,
        paramShare: seParams / se.totalParams,
        flopShare: seFlops / se.totalFlops,
        fcFlopShare: seFcFlops / se.totalFlops,
    };
}

// Tensors from a safetensors file's bytes (header only), for tests and the page's loader.
export function safetensorsTensors(bytes) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (u8.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    if (n > u8.length - 8) throw new Error('safetensors: header length past the end of the file');
    const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
    return Object.entries(header).filter(([k]) => k !== '__metadata__')
        .map(([name, v]) => ({ name, shape: v.shape, dtype: v.dtype, numel: numel(v.shape) }));
}

// 1234567 -> "1.23 M", 2688 -> "2.69 K" (exact numbers are shown next to these).
export function formatCount(n) {
    if (n >= 1e9) return (n / 1e9).toPrecision(3) + ' G';
    if (n >= 1e6) return (n / 1e6).toPrecision(3) + ' M';
    if (n >= 1e4) return (n / 1e3).toPrecision(3) + ' K';
    return String(n);
}
export function formatPercent(x) {
    const p = x * 100;
    return (p >= 1 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p.toPrecision(2)) + ' %';
}
