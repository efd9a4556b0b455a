// lesson-helpers.mjs - the guided lesson's arithmetic, without a DOM: the step a URL names
// (?step=), numbers in groups of three, the texts' overhead figures, the block whose SE weights
// differ most, the most active channels of a block and the Grad-CAM map scaled for display.
// The views (lesson-views.mjs) also take the SE anatomy panel's topBottom, channelsMax and
// chwToRGBA (panels/anatomy-helpers.mjs).

import { formatPercent } from './model-stats.mjs';
import { topBottom } from './panels/anatomy-helpers.mjs';

export const KEPT = 4;       // step 1: this many most kept and most turned-down channels
export const ACTIVE = 6;     // step 4: this many most active channels per block

// ?step=1..n -> step 0..n-1 (anything else: 0)
export function stepFromParam(v, n) {
    const k = parseInt(v, 10);
    return k >= 1 && k <= n ? k - 1 : 0;
}

// 1234567 -> '1 234 567' with narrow no-break spaces, rounded to an integer
export const group = (n) => Math.round(n).toLocaleString('en-US').replace(/,/g, '\u202f');

// The placeholders of the texts that quote the SE overhead (seOverhead of model-stats.mjs).
export function overheadVars(o) {
    return {
        p: group(o.extraParams), ps: formatPercent(o.paramShare),
        f: group(o.extraFlops), fs: formatPercent(o.flopShare),
        ffc: group(o.seFcFlops), ffs: formatPercent(o.fcFlopShare),
    };
}

// The index of the block whose s has the widest range (max - min); the first on a tie.
export function widestBlock(sList) {
    const spread = (s) => Math.max(...s) - Math.min(...s);
    let bi = 0;
    sList.forEach((s, b) => { if (spread(s) > spread(sList[bi])) bi = b; });
    return bi;
}

// Step 4: the k channels with the largest squeeze (channel mean after ReLU), largest first;
// ties in channel order.
export function mostActive(pooled, k = ACTIVE) {
    return topBottom(pooled, k).high;
}

// The Grad-CAM map divided by its maximum (all 0 when nothing is above 0).
export function camForDisplay(cam) {
    let gmax = 0;
    for (const x of cam) gmax = Math.max(gmax, x);
    return Float32Array.from(cam, (x) => (gmax > 0 ? x / gmax : 0));
}
