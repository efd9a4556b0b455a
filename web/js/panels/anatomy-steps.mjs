// anatomy-steps.mjs - the SE anatomy panel's skeleton: the image column (picture, test images,
// upload, webcam), the block buttons and the three steps (squeeze, excitation, scale) with
// their empty strips, grids and slots, which anatomy-draw.mjs fills. Test hooks: data-testid
// anatomy-block-1..3, anatomy-c, anatomy-pooled, anatomy-hidden-pre, anatomy-hidden,
// anatomy-z, anatomy-s, anatomy-detail, anatomy-scale, anatomy-step-*, anatomy-upload.

import { el } from '../dom.mjs';
import { mapCanvas } from '../colormap.mjs';
import { cellStrip } from '../anatomy-view.mjs';
import { COLS } from './anatomy-helpers.mjs';

// Builds the panel in root and returns ui, its named elements. T(key, vars) translates an
// anatomy key; on = { upload(file), webcam(), block(b), inspect(kind, i), pick(c), reset() };
// only: the parts ?embed=1&view= names ([] outside an embedding); unknown names are ignored.
export function buildAnatomy(root, T, on, only) {
    root.replaceChildren();
    const ui = {};
    const head = el('div', { class: 'anat-head' });
    // image column
    const imgCol = el('div', { class: 'anat-imgcol' });
    ui.imgCanvas = mapCanvas('anat-input', T('image'));
    ui.imgInfo = el('div', { class: 'anat-imginfo' });
    const pick = el('div', { class: 'anat-pick' });
    ui.gallery = el('div', { class: 'anat-gallery' });
    ui.gallery.setAttribute('role', 'group');
    ui.gallery.setAttribute('aria-label', T('gallery'));
    const up = el('label', { class: 'button secondary anat-upload' });
    const upInput = el('input');
    upInput.type = 'file'; upInput.accept = 'image/*';
    upInput.dataset.testid = 'anatomy-upload';
    upInput.addEventListener('change', () => {
        const f = upInput.files && upInput.files[0];
        if (f) on.upload(f);
        upInput.value = '';
    });
    up.append(el('span', { text: T('upload') }), upInput);
    const cam = el('button', { class: 'secondary', text: T('webcam') });
    cam.type = 'button';
    cam.addEventListener('click', on.webcam);
    ui.camBox = el('div', { class: 'anat-cam' });
    ui.camBox.hidden = true;
    pick.append(up, cam);
    imgCol.append(el('div', { class: 'anat-label', text: T('image') }), ui.imgCanvas, ui.imgInfo,
        el('div', { class: 'anat-label', text: T('gallery') }), ui.gallery, pick, ui.camBox);

    // block chooser + intro
    const blockCol = el('div', { class: 'anat-blockcol' });
    blockCol.append(el('p', { class: 'anat-intro', text: T('intro') }));
    const seg = el('div', { class: 'anat-seg' });
    seg.setAttribute('role', 'group');
    seg.setAttribute('aria-label', T('block'));
    ui.blockBtns = [32, 64, 128].map((C, b) => {
        const btn = el('button', { class: 'anat-segbtn', text: T('blockOpt', { name: `ca${b + 1}`, C }) });
        btn.type = 'button';
        btn.dataset.testid = `anatomy-block-${b + 1}`;
        btn.addEventListener('click', () => on.block(b));
        seg.append(btn);
        return btn;
    });
    ui.shape = el('div', { class: 'anat-shape' });
    ui.shape.dataset.testid = 'anatomy-c';   // data-c: the block's channel count; data-hidden, data-reduction
    ui.opened = el('div', { class: 'anat-opened' });
    ui.opened.dataset.testid = 'anatomy-opened';   // why this block was opened (empty when ?ca= chose it)
    ui.status = el('div', { class: 'anat-status' });
    ui.status.setAttribute('role', 'status');
    ui.weights = el('div', { class: 'anat-weights' });
    blockCol.append(el('div', { class: 'anat-label', text: T('block') }), seg, ui.shape, ui.opened, ui.weights, ui.status);
    head.append(imgCol, blockCol);
    root.append(head);

    // step 1: squeeze
    const s1 = step('squeeze', T('s1.title'), T('s1.caption'));
    ui.mapsLabel = el('div', { class: 'anat-label' });
    ui.maps = el('div', { class: 'anat-grid' });
    ui.mapsBar = el('div', { class: 'anat-barslot' });
    ui.meansLabel = el('div', { class: 'anat-label' });
    ui.pooled = cellStrip({ label: T('s1.mean'), testid: 'anatomy-pooled', cols: COLS,
        onInspect: (i) => on.inspect('pooled', i), onPick: on.pick });
    ui.pooledBar = el('div', { class: 'anat-barslot' });
    const legendEl = () => {
        const l = el('div', { class: 'anat-legend' });
        l.append(el('span', { class: 'anat-swatch-sel' }), el('span', { text: T('s1.selected') }));
        return l;
    };
    const legend = legendEl();
    s1.body.append(ui.mapsLabel, ui.maps, ui.mapsBar, el('div', { class: 'anat-arrow', text: T('s1.arrow') }),
        ui.meansLabel, ui.pooled.el, ui.pooledBar, legend);

    // step 2: excitation
    const s2 = step('excite', T('s2.title'), T('s2.caption'));
    ui.hpreLabel = el('div', { class: 'anat-label' });
    ui.hpre = cellStrip({ label: 'FC1', testid: 'anatomy-hidden-pre', cols: 8, numbers: true,
        onInspect: (j) => on.inspect('hpre', j) });
    ui.hLabel = el('div', { class: 'anat-label', text: T('s2.h') });
    ui.h = cellStrip({ label: 'ReLU', testid: 'anatomy-hidden', cols: 8, numbers: true,
        onInspect: (j) => on.inspect('h', j) });
    ui.hBar = el('div', { class: 'anat-barslot' });
    ui.zLabel = el('div', { class: 'anat-label' });
    ui.z = cellStrip({ label: 'z', testid: 'anatomy-z', cols: COLS,
        onInspect: (i) => on.inspect('z', i), onPick: on.pick });
    ui.zBar = el('div', { class: 'anat-barslot' });
    ui.sLabel = el('div', { class: 'anat-label', text: T('s2.s') });
    ui.s = cellStrip({ label: 's', testid: 'anatomy-s', cols: COLS,
        onInspect: (i) => on.inspect('s', i), onPick: on.pick });
    ui.sBar = el('div', { class: 'anat-barslot' });
    ui.sRange = el('div', { class: 'anat-range' });
    ui.detail = el('div', { class: 'anat-detail' });
    ui.detail.dataset.testid = 'anatomy-detail';
    ui.detail.setAttribute('aria-live', 'polite');
    const hidRow = el('div', { class: 'anat-hidrow' });
    const c1 = el('div', { class: 'anat-hidcol' }), c2 = el('div', { class: 'anat-hidcol' });
    c1.append(ui.hpreLabel, ui.hpre.el);
    c2.append(ui.hLabel, ui.h.el);
    hidRow.append(c1, el('div', { class: 'anat-arrow anat-arrow-side', text: '\u2192' }), c2);
    s2.body.append(el('p', { class: 'anat-hint', text: T('s2.hint') }), el('div', { class: 'anat-label', text: 'FC1 (C \u2192 C/R)' }),
        hidRow, ui.hBar, el('div', { class: 'anat-arrow', text: '\u2193 FC2 (C/R \u2192 C)' }), ui.zLabel, ui.z.el, ui.zBar,
        el('div', { class: 'anat-arrow', text: '\u2193 sigmoid' }), ui.sLabel, ui.s.el, ui.sBar, ui.sRange, legendEl(), ui.detail);

    // step 3: scale
    const s3 = step('scale', T('s3.title'), T('s3.caption'));
    const pickRow = el('div', { class: 'anat-pickrow' });
    const reset = el('button', { class: 'secondary', text: T('s3.reset') });
    reset.type = 'button';
    reset.addEventListener('click', on.reset);
    pickRow.append(el('p', { class: 'anat-hint', text: T('s3.pick') }), reset);
    ui.pairs = el('div', { class: 'anat-pairs' });
    ui.pairs.dataset.testid = 'anatomy-scale';
    ui.pairsBar = el('div', { class: 'anat-barslot' });
    ui.heat = el('div', { class: 'anat-heat' });
    s3.body.append(pickRow, ui.pairs, ui.pairsBar, el('p', { class: 'anat-caption anat-heatcap', text: T('s3.heat') }), ui.heat);
    root.append(s1.sec, s2.sec, s3.sec);
    // ?embed=1&view=excite,scale: only those parts (the block comes from ?ca=)
    const parts = { image: head, squeeze: s1.sec, excite: s2.sec, scale: s3.sec };
    for (const [k, sec] of Object.entries(parts)) sec.dataset.view = k;
    const shown = only.filter((v) => v in parts);
    if (shown.length) for (const [k, sec] of Object.entries(parts)) sec.hidden = !shown.includes(k);
    return ui;
}

function step(id, title, caption) {
    const sec = el('section', { class: 'anat-step anat-step-' + id });
    sec.dataset.testid = 'anatomy-step-' + id;
    const cap = el('div', { class: 'anat-capcol' });
    cap.append(el('h3', { class: 'anat-steptitle', text: title }), el('p', { class: 'anat-caption', text: caption }));
    const body = el('div', { class: 'anat-body' });
    sec.append(cap, body);
    return { sec, body };
}
