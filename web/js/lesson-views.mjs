// lesson-views.mjs - what the lesson's card draws for a step besides its text: the SE block as
// a diagram with the most kept and turned-down channels of the current image (step 1), the most
// active channels of each block before and after SE (step 4), Grad-CAM, the channel-mean map and
// the sorted weights s (step 5), the summary (step 7). A view is (box, services, T, alive):
// it fills box, and after an await draws nothing once alive() is false (the step changed).
// Test hooks: data-testid lesson-attention, lesson-features, lesson-heatmaps.

import { el } from './dom.mjs';
import { makeScale, scaleBar, drawMap, mapCanvas, viridis, inferno } from './colormap.mjs';
import { topBottom, channelsMax, chwToRGBA } from './panels/anatomy-helpers.mjs';
import { KEPT, overheadVars, widestBlock, mostActive, camForDisplay } from './lesson-helpers.mjs';
import { modelStats } from './lesson-stats.mjs';

// The SE block as a row of boxes: maps -> squeeze -> FC1 -> ReLU -> FC2 -> sigmoid -> scale.
function flowDiagram(T, C, H, W, R) {   // R: the block's hidden units (C / reduction ratio)
    const flow = el('div', { class: 'lesson-flow' });
    flow.setAttribute('role', 'img');
    const parts = [
        ['maps', `${C}\u00d7${H}\u00d7${W}`, T('s1.f.maps')],
        ['op', T('s1.f.squeeze'), T('s1.f.mean')],
        ['vec', String(C), ''],
        ['op', 'FC1 + ReLU', ''],
        ['vec', String(R), ''],
        ['op', 'FC2 + sigmoid', ''],
        ['vec', `s: ${C}`, T('s1.f.s')],
        ['op', T('s1.f.scale'), '\u00d7 s'],
        ['maps', `${C}\u00d7${H}\u00d7${W}`, T('s1.f.out')],
    ];
    const label = [];
    parts.forEach(([kind, main, sub], i) => {
        if (i) flow.append(el('span', { class: 'lesson-flowarrow', text: '\u2192' }));
        const b = el('div', { class: 'lesson-flowbox lesson-flow-' + kind });
        b.append(el('div', { class: 'lesson-flowmain', text: main }));
        if (sub) b.append(el('div', { class: 'lesson-flowsub', text: sub }));
        flow.append(b);
        label.push(`${main} ${sub}`.trim());
    });
    flow.setAttribute('aria-label', label.join(' \u2192 '));
    return flow;
}

// Step 1: the SE block as a diagram, then for the current image the most kept and most
// turned-down channels of the block where s differs most between channels (named).
export async function viewAttention(box, services, T, alive) {
    if (!services.models.get('CNN_SE')) { box.append(el('p', { class: 'lesson-note', text: T('noModels') })); return; }
    if (!services.image.current()) { box.append(el('p', { class: 'lesson-note', text: T('noImage') })); return; }
    const a = await services.models.inspect('CNN_SE');
    if (!alive()) return;
    const bi = widestBlock(a.blocks.map((blk) => blk.seView.s));
    const blk = a.blocks[bi], v = blk.seView, HW = blk.H * blk.W;
    box.append(flowDiagram(T, blk.C, blk.H, blk.W, v.R), el('p', { class: 'lesson-viewcap', text: T('s1.view', { b: bi + 1 }) }));
    const { high, low } = topBottom(v.s, KEPT);
    const rows = [[T('s1.kept'), high], [T('s1.down'), low]];
    const hi = channelsMax([blk.relu], [...high, ...low], HW);
    const scale = makeScale([0, hi], { min: 0, max: hi || 1, map: viridis });
    const fig = el('div', { class: 'lesson-mini' });
    fig.dataset.testid = 'lesson-attention';
    for (const [title, chans] of rows) {
        const row = el('div', { class: 'lesson-minirow' });
        row.append(el('div', { class: 'lesson-minititle', text: title }));
        for (const c of chans) {
            const item = el('div', { class: 'lesson-miniitem' });
            const b = mapCanvas('', `ch ${c}`), f = mapCanvas('', `ch ${c} \u00d7 s`);
            drawMap(b, blk.relu, blk.H, blk.W, { offset: c * HW, scale: scale });
            drawMap(f, blk.se, blk.H, blk.W, { offset: c * HW, scale: scale });
            const sbar = el('div', { class: 'lesson-sbar' });
            const fill = el('div', { class: 'lesson-sfill' });
            fill.style.width = (100 * v.s[c]).toFixed(1) + '%';
            sbar.append(fill);
            const mid = el('div', { class: 'lesson-mid' });
            mid.append(el('div', { class: 'lesson-sval', text: `s = ${v.s[c].toFixed(2)}` }), sbar);
            item.append(b, mid, f);
            const cap = el('div', { class: 'lesson-minicap', text: T('s1.ch', { c }) });
            const wrapItem = el('div', { class: 'lesson-miniwrap' });
            wrapItem.append(cap, item);
            row.append(wrapItem);
        }
        fig.append(row);
    }
    box.append(fig, scaleBar(scale, T('s1.activation')));
}

// The current image as a 32x32 canvas.
function imageCanvas(bytes) {
    const cv = el('canvas', { class: 'lesson-img' });
    cv.width = 32; cv.height = 32;
    const g = cv.getContext('2d'), id = g.createImageData(32, 32);
    chwToRGBA(bytes, 0, id.data);
    g.putImageData(id, 0, 0);
    return cv;
}

async function inspectSE(box, services, T, alive) {
    if (!services.models.get('CNN_SE')) { box.append(el('p', { class: 'lesson-note', text: T('noModels') })); return null; }
    if (!services.image.current()) { box.append(el('p', { class: 'lesson-note', text: T('noImage') })); return null; }
    const a = await services.models.inspect('CNN_SE');
    return alive() ? a : null;
}

// Step 4: per block, the 6 most active channels after ReLU and after SE scaling.
export async function viewFeatures(box, services, T, alive) {
    box.append(el('p', { class: 'lesson-viewcap', text: T('s4.view') }));
    const a = await inspectSE(box, services, T, alive);
    if (!a) return;
    const fig = el('div', { class: 'lesson-feat' });
    fig.dataset.testid = 'lesson-features';
    a.blocks.forEach((blk, b) => {
        const HW = blk.H * blk.W, v = blk.seView;
        const top = mostActive(v.pooled);
        const hi = channelsMax([blk.relu], top, HW);
        const scale = makeScale([0, hi], { min: 0, max: hi || 1, map: viridis });
        const sec = el('div', { class: 'lesson-featblock' });
        sec.append(el('div', { class: 'lesson-minititle', text: T('s4.block', { b: b + 1, C: blk.C, H: blk.H, W: blk.W }) }));
        for (const [label, src] of [[T('s4.relu'), blk.relu], [T('s4.se'), blk.se]]) {
            const row = el('div', { class: 'lesson-featrow' });
            row.append(el('span', { class: 'lesson-featlabel', text: label }));
            for (const c of top) {
                const cv = mapCanvas('', `ch ${c} ${label}`);
                drawMap(cv, src, blk.H, blk.W, { offset: c * HW, scale: scale });
                row.append(cv);
            }
            sec.append(row);
        }
        sec.append(scaleBar(scale, T('s1.activation')));
        fig.append(sec);
    });
    box.append(fig);
}

// Step 5: Grad-CAM for the predicted class over the image, the class-agnostic channel-mean
// map, and each SE block's weights s sorted.
export async function viewHeatmaps(box, services, T, alive) {
    const a = await inspectSE(box, services, T, alive);
    if (!a) return;
    const fig = el('div', { class: 'lesson-heat' });
    fig.dataset.testid = 'lesson-heatmaps';
    // Grad-CAM overlay (normalised to its maximum for display)
    const g = a.gradcam;
    const camFig = el('figure', { class: 'lesson-heatfig' });
    const stack = el('div', { class: 'lesson-stack' });
    const cam = mapCanvas('lesson-cam', 'Grad-CAM');
    const camScale = makeScale([0, 1], { min: 0, max: 1, map: inferno });
    const camNorm = camForDisplay(g.cam);
    drawMap(cam, camNorm, g.H, g.W, { scale: camScale });
    stack.append(imageCanvas(services.image.current().bytes), cam);
    camFig.append(stack, el('figcaption', { text: T('s5.cam', { cls: services.i18n.className(g.cls) }) }));
    // channel-mean map of the last block after SE
    const last = a.blocks[a.blocks.length - 1], HW = last.H * last.W, mean = new Float32Array(HW);
    for (let c = 0; c < last.C; c++) for (let i = 0; i < HW; i++) mean[i] += last.se[c * HW + i] / last.C;
    const meanFig = el('figure', { class: 'lesson-heatfig' });
    const mcv = mapCanvas('lesson-meanmap', T('s5.mean'));
    const meanScale = makeScale(mean, { min: 0, map: viridis });
    drawMap(mcv, mean, last.H, last.W, { scale: meanScale });
    meanFig.append(mcv, el('figcaption', { text: T('s5.mean') }));
    const maps = el('div', { class: 'lesson-heatmaps' });
    maps.append(camFig, meanFig);
    // s of each block, sorted from largest to smallest
    const bars = el('div', { class: 'lesson-sbars' });
    a.blocks.forEach((blk, b) => {
        const sorted = Array.from(blk.seView.s).sort((x, y) => y - x);
        const cv = el('canvas', { class: 'lesson-sbarchart' });
        cv.width = 2 * sorted.length; cv.height = 60;
        const cx = cv.getContext('2d');
        cx.fillStyle = '#eceef2'; cx.fillRect(0, 0, cv.width, cv.height);
        cx.fillStyle = '#D55E00';
        sorted.forEach((x, i) => { const h = x * cv.height; cx.fillRect(2 * i, cv.height - h, 2, h); });
        cv.setAttribute('role', 'img');
        cv.setAttribute('aria-label', T('s5.sorted', { b: b + 1, min: sorted[sorted.length - 1].toFixed(3), max: sorted[0].toFixed(3) }));
        const f = el('figure', { class: 'lesson-sfig' });
        f.append(cv, el('figcaption', { text: T('s5.sorted', { b: b + 1, min: sorted[sorted.length - 1].toFixed(2), max: sorted[0].toFixed(2) }) }));
        bars.append(f);
    });
    const bars2 = el('div', { class: 'lesson-cbars' });
    bars2.append(scaleBar(camScale, T('s5.camScale')), scaleBar(meanScale, T('s5.meanScale')));
    fig.append(maps, bars2, el('div', { class: 'lesson-minititle', text: T('s5.bars') }), bars);
    box.append(fig);
}

export function viewEnd(box, services, T) {
    const st = modelStats(services);
    const ul = el('ul', { class: 'lesson-list' });
    ul.append(el('li', { text: T('s8.a') }), el('li', { text: T('s8.b') }));
    if (st) ul.append(el('li', { text: T('s8.c', overheadVars(st.o)) }));
    ul.append(el('li', { text: T('s8.d') }));
    box.append(ul);
}
