// anatomy-draw.mjs - the SE anatomy panel's drawing: fills the skeleton of anatomy-steps.mjs
// with one analysis of CNN_SE. Squeeze (the block's input maps on one scale, their means),
// excitation (FC1 before and after ReLU, z, s, the range of s), scale (the chosen channels
// before and after multiplying by s, the channel-mean maps before and after the block) and
// the detail of one value with the weights that produced it. Nothing is recomputed here
// except the channel-mean maps, plain means of the model's maps.
//
// v0 = { ui, data: { a, blk, w1, w2, b, mapScale? }, chosen (channels or null: the default
// 4 + 4), T, services, pick(c) }, read when a drawing runs.

import { el } from '../dom.mjs';
import { fmt3 as fmt, makeScale, scaleBar, drawMap, mapCanvas, viridis } from '../colormap.mjs';
import { barCanvas } from '../anatomy-view.mjs';
import { DEFAULT_PICK, topBottom, channelMean, sSummary, sSpread, channelsMax, fc1Terms, fc2Terms, reductionOf } from './anatomy-helpers.mjs';

export function drawSteps(v0) {
    const { ui, data, T, services } = v0;
    if (!data || !ui) return;
    const { a, blk, b } = data;
    const { C, H, W } = blk, v = blk.seView, R = v.R;
    ui.shape.dataset.c = String(C);
    ui.shape.dataset.hidden = String(R);
    ui.shape.dataset.reduction = String(reductionOf(C, R));
    ui.shape.textContent = `ca${b + 1} \u00b7 ` + T('shape', { C, H, W, R, r: reductionOf(C, R) });
    ui.opened.textContent = data.opened ? T('opened', { name: `ca${b + 1}`, d: sSpread(v.s).toFixed(3) }) : '';
    const info = services.models.info('CNN_SE');
    const src = info ? (info.source === 'file' ? services.i18n.t('app.model.file', { name: info.name }) : services.i18n.t(`app.model.${info.source}`)) : '';
    ui.weights.textContent = info ? T('weights', { label: src }) : '';
    if (a.probs) ui.weights.append(el('div', { text: T('pred', { cls: services.i18n.className(a.top1), p: (100 * a.probs[a.top1]).toFixed(1) }) }));

    // squeeze
    const mapScale = makeScale(blk.relu, { min: 0, map: viridis });
    data.mapScale = mapScale;
    ui.mapsLabel.textContent = T('s1.maps', { last: C - 1 });
    ui.maps.replaceChildren();
    ui.maps.dataset.c = String(C);
    ui.maps.style.setProperty('--cols', String(C <= 32 ? 8 : C <= 64 ? 8 : 16));
    ui.mapCanvases = [];
    for (let c = 0; c < C; c++) {
        const cell = el('button', { class: 'anat-gridcell' });
        cell.type = 'button';
        cell.tabIndex = -1;   // keyboard users pick channels in the one-tab-stop strips below
        cell.title = `ch ${c} \u00b7 mean ${fmt(v.pooled[c])}`;
        const cv = mapCanvas('', `ch ${c}`);
        drawMap(cv, blk.relu, H, W, { offset: c * H * W, scale: mapScale });
        cell.append(cv, el('span', { class: 'anat-chlabel', text: String(c) }));
        cell.addEventListener('click', () => v0.pick(c));
        cell.addEventListener('mouseenter', () => drawDetail(v0, 'pooled', c));
        cell.addEventListener('focus', () => drawDetail(v0, 'pooled', c));
        ui.maps.append(cell);
        ui.mapCanvases.push(cell);
    }
    ui.mapsBar.replaceChildren(scaleBar(mapScale, T('s1.activation')));
    ui.meansLabel.textContent = T('s1.means', { C });
    const pScale = makeScale(v.pooled, { min: 0, map: viridis });
    ui.pooled.set(v.pooled, pScale);
    ui.pooledBar.replaceChildren(scaleBar(pScale, T('s1.mean')));

    // excitation
    ui.hpreLabel.textContent = T('s2.hpre', { R });
    const hScale = makeScale(Array.from(v.hidden_pre).concat(Array.from(v.hidden)), { signed: true });
    ui.hpre.set(v.hidden_pre, hScale);
    ui.h.set(v.hidden, hScale);
    ui.hBar.replaceChildren(scaleBar(hScale, 'h'));
    ui.zLabel.textContent = T('s2.z', { C });
    const zScale = makeScale(v.z, { signed: true });
    ui.z.set(v.z, zScale);
    ui.zBar.replaceChildren(scaleBar(zScale, 'z'));
    // colours span this image's range of s (the colour bar says which), so that small
    // differences between channels stay visible; the numbers are on hover
    const sScale = makeScale(v.s, { map: viridis });
    const sr = sSummary(v.s, v.hidden);
    ui.sRange.textContent = T('s2.range', { min: sr.min.toFixed(3), max: sr.max.toFixed(3), mean: sr.mean.toFixed(3) });
    if (sr.dead) ui.sRange.textContent += ' ' + T('s2.dead');
    ui.s.set(v.s, sScale);
    ui.s.el.dataset.block = `ca${b + 1}`;
    ui.sBar.replaceChildren(scaleBar(sScale, 's'));
    drawDetail(v0, 's', topBottom(v.s, 1).high[0]);
    ui.s.clearActive();
    drawScale(v0);
}

export function drawScale(v0) {
    const { ui, data, T, chosen } = v0;
    if (!data) return;
    const { blk } = data;
    const { C, H, W } = blk, v = blk.seView, HW = H * W;
    const { high, low } = topBottom(v.s, DEFAULT_PICK);
    const list = chosen || high.concat(low);
    const sel = new Set(list);
    [ui.pooled, ui.z, ui.s].forEach((strip) => strip.select(sel));
    (ui.mapCanvases || []).forEach((cell, c) => {
        cell.classList.toggle('anat-selected', sel.has(c));
        cell.setAttribute('aria-pressed', String(sel.has(c)));
    });
    const hi = channelsMax([blk.relu, blk.se], list, HW);
    const scale = makeScale([0, hi], { min: 0, max: hi || 1, map: viridis });
    ui.pairs.replaceChildren();
    const groups = chosen ? [[T('s3.chosen'), list]] : [[T('s3.high'), high], [T('s3.low'), low]];
    for (const [title, chans] of groups) {
        const g = el('div', { class: 'anat-pairgroup' });
        g.append(el('div', { class: 'anat-label', text: title }));
        const row = el('div', { class: 'anat-pairrow' });
        for (const c of chans) {
            const card = el('div', { class: 'anat-pair' });
            card.dataset.channel = String(c);
            card.dataset.s = String(v.s[c]);
            card.append(el('div', { class: 'anat-pairtitle', text: T('s3.channel', { c, s: v.s[c].toFixed(3) }) }));
            const before = mapCanvas('', `ch ${c} ${T('s3.before')}`);
            const after = mapCanvas('', `ch ${c} ${T('s3.after')}`);
            drawMap(before, blk.relu, H, W, { offset: c * HW, scale: scale });
            drawMap(after, blk.se, H, W, { offset: c * HW, scale: scale });
            const fb = el('figure', { class: 'anat-fig' }), fa = el('figure', { class: 'anat-fig' });
            fb.append(before, el('figcaption', { text: T('s3.before') }));
            fa.append(after, el('figcaption', { text: T('s3.after') }));
            const pair = el('div', { class: 'anat-pairmaps' });
            pair.append(fb, el('span', { class: 'anat-times', text: '\u2192' }), fa);
            card.append(pair);
            row.append(card);
        }
        g.append(row);
        ui.pairs.append(g);
    }
    ui.pairsBar.replaceChildren(scaleBar(scale, T('s3.scale')));

    const mb = channelMean(blk.relu, C, HW), ma = channelMean(blk.se, C, HW);
    let hm = 0;
    for (let i = 0; i < HW; i++) hm = Math.max(hm, mb[i], ma[i]);
    const hs = makeScale([0, hm], { min: 0, max: hm || 1, map: viridis });
    ui.heat.replaceChildren();
    for (const [label, m] of [[T('s3.heatBefore'), mb], [T('s3.heatAfter'), ma]]) {
        const f = el('figure', { class: 'anat-fig anat-heatfig' });
        const cv = mapCanvas('anat-heatmap', label);
        drawMap(cv, m, H, W, { scale: hs });
        f.append(cv, el('figcaption', { text: label }));
        ui.heat.append(f);
    }
    ui.heat.append(scaleBar(hs, T('s3.heatScale')));
}

// The value under the pointer and the weights that produced it.
export function drawDetail(v0, kind, i) {
    const { ui, data, T } = v0;
    if (!data) return;
    const { blk, w1, w2, b } = data;
    const v = blk.seView, C = blk.C, R = v.R, box = ui.detail;
    box.replaceChildren();
    const line = (text, cls) => box.append(el('div', { class: cls || 'anat-dline', text: text }));
    const n1 = `ca${b + 1}.fc.0.weight`, n2 = `ca${b + 1}.fc.2.weight`;
    if (kind === 'pooled') {
        line(T('d.pooled', { i, n: blk.H * blk.W, v: fmt(v.pooled[i]) }));
        const cv = mapCanvas('anat-dmap', `ch ${i}`);
        drawMap(cv, blk.relu, blk.H, blk.W, { offset: i * blk.H * blk.W, scale: data.mapScale });
        box.append(cv);
    } else if (kind === 'hpre' || kind === 'h') {
        const { row, terms, top: topTerms } = fc1Terms(w1.data, v.pooled, i, C);
        const top = topTerms.map(([t, c]) => `c${c}: ${fmt(t)}`).join(', ');
        line(T('d.hpre', { j: i, C, v: fmt(v.hidden_pre[i]) }));
        if (kind === 'h') line(T('d.h', { pre: fmt(v.hidden_pre[i]), v: fmt(v.hidden[i]) }));
        line(T('d.w1', { j: i, name: n1 }), 'anat-dsub');
        const axis = () => el('div', { class: 'anat-axis', text: `c = 0 \u2026 ${C - 1}` });
        box.append(barCanvas(row, { width: Math.max(128, 4 * C) }), axis());
        line(T('d.contrib', { j: i, top }), 'anat-dsub');
        box.append(barCanvas(terms, { width: Math.max(128, 4 * C) }), axis());
    } else if (kind === 'z' || kind === 's') {
        if (kind === 's') line(T('d.s', { i, z: fmt(v.z[i]), v: v.s[i].toFixed(6) }));
        line(T('d.z', { i, R, v: fmt(v.z[i]) }));
        line(T('d.w2', { i, name: n2 }), 'anat-dsub');
        const list = el('ul', { class: 'anat-terms' });
        for (const { k, w, h, p } of fc2Terms(w2.data, v.hidden, i, R)) {
            list.append(el('li', { text: T('d.zterm', { i, k, w: fmt(w), h: fmt(h), p: fmt(p) }) }));
        }
        box.append(list);
    }
}
