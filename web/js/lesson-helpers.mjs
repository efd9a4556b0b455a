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

// The block whose s has the widest range: one function for the lesson and the SE anatomy panel.
export { widestBlock } from './panels/anatomy-helpers.mjs';

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

// Step 7: the rows of the reduction-ratio table from web/data/se-study.json (written by
// scripts/se_study.py from the committed study logs): per R, the hidden units of each block,
// the SE parameters, the dead units over all seeds and the test accuracy (mean \u00b1 sd, %).
export function studyRows(study) {
    return (study && study.reductions ? study.reductions : []).slice().sort((x, y) => x.R - y.R).map((r) => ({
        R: r.R,
        hidden: r.blocks.map((b) => b.hidden),
        params: r.se_parameters,
        dead: r.blocks.map((b) => `${b.dead}/${b.units}`),
        acc: `${(100 * r.test_accuracy.mean).toFixed(1)} \u00b1 ${(100 * r.test_accuracy.sd).toFixed(1)} %`,
        seeds: r.seeds.length, epoch: r.epoch, complete: r.complete,
    }));
}
