// anatomy-helpers.mjs - the SE anatomy panel's arithmetic, without a DOM: the block and the
// channels a URL names (?ca=, ?ch=), the channels with the largest and smallest SE weight,
// channel-mean maps, the range of s, and the terms behind one FC1 or FC2 value. The panel
// (anatomy.mjs) and its drawing (anatomy-draw.mjs) show what these compute.

export const COLS = 32;          // cells per row: channel c sits in the same column in every strip
export const DEFAULT_PICK = 4;   // default: this many highest-s and lowest-s channels

// ?ca=1..3 -> block 0..2 (anything else: 0)
export function blockFromParam(v) {
    const b = parseInt(v, 10);
    return b >= 1 && b <= 3 ? b - 1 : 0;
}

// The range of s over the channels (max - min): 0 for a dead block, where every s is 0.5.
// The same measure as the core's se_spread (c/se_stats.h, excite se-stats).
export function sSpread(s) {
    let lo = Infinity, hi = -Infinity;
    for (const x of s) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    return s.length ? hi - lo : 0;
}

// The index of the block whose s has the widest range (sSpread); the first on a tie.
export function widestBlock(sList) {
    let bi = 0;
    sList.forEach((s, b) => { if (sSpread(s) > sSpread(sList[bi])) bi = b; });
    return bi;
}

// The block the SE anatomy panel and the lesson open on: the one ?ca= names (1..3), else the
// one whose s varies most for the current image (widestBlock), so that a block that does
// nothing for this image is not the first one a student sees.
export function openingBlock(param, sList) {
    const b = parseInt(param, 10);
    return b >= 1 && b <= 3 ? b - 1 : widestBlock(sList);
}

// The reduction ratio of a block: its channels over its hidden units (read from the model).
export const reductionOf = (C, hidden) => (hidden > 0 ? C / hidden : NaN);

// ?ch=3,17 -> [3, 17] (negative and unreadable entries dropped); null when none is left
export function channelsFromParam(v) {
    if (!v) return null;
    const list = String(v).split(',').map((x) => parseInt(x, 10)).filter((x) => x >= 0);
    return list.length ? list : null;
}

// The k channels with the largest s (largest first) and the k with the smallest (smallest
// first); ties in channel order.
export function topBottom(s, k) {
    const idx = Array.from(s, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
    return { high: idx.slice(0, k), low: idx.slice(-k).reverse() };
}

// The mean over the C channels of data (C, HW), a map of HW values.
export function channelMean(data, C, HW) {
    const out = new Float32Array(HW);
    for (let c = 0; c < C; c++) for (let i = 0; i < HW; i++) out[i] += data[c * HW + i];
    for (let i = 0; i < HW; i++) out[i] /= C;
    return out;
}

// s's range and mean; dead: every hidden unit is 0 after ReLU, so s = sigmoid(0) = 0.5 for
// every channel (the block selects nothing).
export function sSummary(s, hidden) {
    let min = Infinity, max = -Infinity, sum = 0;
    for (const x of s) { min = Math.min(min, x); max = Math.max(max, x); sum += x; }
    return { min, max, mean: sum / s.length, dead: Array.from(hidden).every((x) => x === 0) };
}

// The largest value of the listed channels of the maps (C, HW), 0 if none is above 0.
export function channelsMax(maps, list, HW) {
    let hi = 0;
    for (const c of list) for (const m of maps) for (let i = 0; i < HW; i++) hi = Math.max(hi, m[c * HW + i]);
    return hi;
}

// FC1 unit j: its weight row w1[j, :] (C), each channel's term w1[j, c] * pooled[c], and the
// n terms largest in magnitude as [term, c].
export function fc1Terms(w1, pooled, j, C, n = 3) {
    const row = w1.subarray(j * C, (j + 1) * C);
    const terms = Array.from(row, (w, c) => w * pooled[c]);
    const top = terms.map((t, c) => [t, c]).sort((x, y) => Math.abs(y[0]) - Math.abs(x[0])).slice(0, n);
    return { row, terms, top };
}

// FC2 output i: z[i] = sum over k of w2[i, k] * hidden[k], as [{ k, w, h, p }] (R terms).
export function fc2Terms(w2, hidden, i, R) {
    const row = w2.subarray(i * R, (i + 1) * R);
    return Array.from(row, (w, k) => ({ k, w, h: hidden[k], p: w * hidden[k] }));
}

// RGBA pixels of the 32x32 CHW image at `offset` of bytes (0..255), for ImageData.
export function chwToRGBA(bytes, offset = 0, out = new Uint8ClampedArray(4096)) {
    for (let i = 0; i < 1024; i++) {
        out[4 * i] = bytes[offset + i]; out[4 * i + 1] = bytes[offset + 1024 + i];
        out[4 * i + 2] = bytes[offset + 2048 + i]; out[4 * i + 3] = 255;
    }
    return out;
}
