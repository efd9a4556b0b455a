// lesson.mjs - the guided lesson (?lesson=1): a card above the panels with the lesson's steps
// (what channel attention is, the two models' cost, training, feature maps, heat maps, one
// SE block opened up, conclusion), previous/next, and for each step the live view it talks
// about: drawn in the card (steps 1, 2, 7) and/or the page's panel switched to below.
// The step is in the URL (step=N), so a teacher can link to one step.
// Test hooks: data-testid lesson, lesson-step (data-step, data-steps, data-id), lesson-prev,
// lesson-next, lesson-stats (the per-layer table; cells carry data-value).

import { lessonStrings } from './lesson-strings.mjs';
import { layerStats, seOverhead, formatCount, formatPercent } from './model-stats.mjs';
import { el } from './dom.mjs';
import { makeScale, scaleBar, drawMap, mapCanvas, viridis, inferno } from './colormap.mjs';
import { ensureCss } from './anatomy-view.mjs';

const STEPS = [
    { id: 'attention', panel: 'inspect', texts: ['text', 'text2'], view: viewAttention, usesImage: true },
    { id: 'models', panel: null, texts: ['text'], view: viewStats },
    { id: 'train', panel: 'train', texts: ['text', 'text2'], target: '[data-testid=loss-chart]' },
    { id: 'features', panel: 'inspect', texts: ['text', 'text2'], target: '[data-testid=feature-maps]', view: viewFeatures, usesImage: true },
    { id: 'heatmaps', panel: 'inspect', texts: ['text', 'text2'], target: '[data-testid=heatmap]', view: viewHeatmaps, usesImage: true },
    { id: 'anatomy', panel: 'anatomy', texts: ['text', 'text2'], target: '#panel-anatomy' },
    { id: 'end', panel: 'evaluate', texts: [], view: viewEnd },
];

const group = (n) => Math.round(n).toLocaleString('en-US').replace(/,/g, '\u202f');   // narrow no-break space

// Stats of both loaded models, or null if one is missing.
function modelStats(services) {
    const cnnModel = services.models.get('CNN'), seModel = services.models.get('CNN_SE');
    if (!cnnModel || !seModel) return null;
    const cnn = layerStats(cnnModel.tensors()), se = layerStats(seModel.tensors());
    return { cnn, se, o: seOverhead(cnn, se) };
}
function overheadVars(o) {
    return {
        p: group(o.extraParams), ps: formatPercent(o.paramShare),
        f: group(o.extraFlops), fs: formatPercent(o.flopShare),
        ffc: group(o.seFcFlops), ffs: formatPercent(o.fcFlopShare),
    };
}

// Step 2: per-layer parameters and FLOPs of CNN and CNN_SE, side by side.
function viewStats(box, services, T) {
    const st = modelStats(services);
    if (!st) { box.append(el('p', { class: 'lesson-note', text: T('noModels') })); return; }
    const { cnn, se, o } = st;
    const sum = el('p', { class: 'lesson-sum', text: T('s2.sum', overheadVars(o)) });
    sum.dataset.testid = 'lesson-overhead';
    sum.dataset.extraParams = String(o.extraParams);
    sum.dataset.extraFlops = String(o.extraFlops);
    const wrap = el('div', { class: 'lesson-tablewrap' });
    const table = el('table', { class: 'lesson-stats' });
    table.dataset.testid = 'lesson-stats';
    const thead = el('thead');
    const h1 = el('tr'), h2 = el('tr');
    const th = (text, attrs = {}) => { const c = el('th', { class: attrs.cls || '', text: text }); if (attrs.span) c.colSpan = attrs.span; if (attrs.rows) c.rowSpan = attrs.rows; c.scope = attrs.scope || 'col'; return c; };
    h1.append(th(T('s2.layer'), { rows: 2 }), th(T('s2.out'), { rows: 2, cls: 'lesson-out' }),
        th('CNN', { span: 2, cls: 'lesson-cnn', scope: 'colgroup' }), th('CNN_SE', { span: 2, cls: 'lesson-se', scope: 'colgroup' }));
    h2.append(th(T('s2.params')), th(T('s2.flops')), th(T('s2.params')), th(T('s2.flops')));
    thead.append(h1, h2);
    const tbody = el('tbody');
    const byName = new Map(cnn.layers.map((l) => [l.name, l]));
    // exact number, and a short form (1.80 M) that phones show instead
    const num = (v, model, what) => {
        const c = el('td', { class: 'lesson-num' });
        if (v === null) { c.textContent = '\u2014'; return c; }
        c.append(el('span', { class: 'lesson-full', text: group(v) }), el('span', { class: 'lesson-short', text: formatCount(v) }));
        c.dataset.value = String(v); c.dataset.model = model; c.dataset.what = what;
        return c;
    };
    for (const l of se.layers) {
        const a = byName.get(l.name) || null;
        const tr = el('tr', { class: l.kind === 'se' ? 'lesson-serow' : '' });
        tr.dataset.layer = l.name;
        const name = el('th', { text: l.name });
        name.scope = 'row';
        tr.append(name, el('td', { class: 'lesson-out', text: l.outShape.join('\u00d7') }),
            num(a ? a.params : null, 'CNN', 'params'), num(a ? a.flops : null, 'CNN', 'flops'),
            num(l.params, 'CNN_SE', 'params'), num(l.flops, 'CNN_SE', 'flops'));
        tbody.append(tr);
    }
    const tfoot = el('tfoot');
    const tot = el('tr', { class: 'lesson-total' }); tot.dataset.layer = 'total';
    const tn = el('th', { text: T('s2.total') }); tn.scope = 'row';
    tot.append(tn, el('td', { class: 'lesson-out', text: '' }), num(cnn.totalParams, 'CNN', 'params'), num(cnn.totalFlops, 'CNN', 'flops'),
        num(se.totalParams, 'CNN_SE', 'params'), num(se.totalFlops, 'CNN_SE', 'flops'));
    const ex = el('tr', { class: 'lesson-extra' }); ex.dataset.layer = 'extra';
    const en = el('th', { text: T('s2.extra') }); en.scope = 'row';
    const pct = (v, share) => {
        const c = el('td', { class: 'lesson-num' });
        c.append(el('span', { class: 'lesson-full', text: `+${group(v)}` }), el('span', { class: 'lesson-short', text: `+${formatCount(v)}` }),
            el('span', { class: 'lesson-pct', text: ` (${formatPercent(share)})` }));
        c.dataset.value = String(v);
        return c;
    };
    const blank = () => el('td', { class: 'lesson-num', text: '' });
    ex.append(en, el('td', { class: 'lesson-out', text: '' }), blank(), blank(), pct(o.extraParams, o.paramShare), pct(o.extraFlops, o.flopShare));
    tfoot.append(tot, ex);
    table.append(thead, tbody, tfoot);
    wrap.append(table);
    box.append(sum, wrap, el('p', { class: 'lesson-how', text: T('s2.how') }));
}

// The SE block as a row of boxes: maps -> squeeze -> FC1 -> ReLU -> FC2 -> sigmoid -> scale.
function flowDiagram(T, C, H, W) {
    const R = C / 16;
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
async function viewAttention(box, services, T, alive) {
    if (!services.models.get('CNN_SE')) { box.append(el('p', { class: 'lesson-note', text: T('noModels') })); return; }
    if (!services.image.current()) { box.append(el('p', { class: 'lesson-note', text: T('noImage') })); return; }
    const a = await services.models.inspect('CNN_SE');
    if (!alive()) return;
    const spread = (blk) => Math.max(...blk.seView.s) - Math.min(...blk.seView.s);
    let bi = 0;
    a.blocks.forEach((blk, b) => { if (spread(blk) > spread(a.blocks[bi])) bi = b; });
    const blk = a.blocks[bi], v = blk.seView, HW = blk.H * blk.W;
    box.append(flowDiagram(T, blk.C, blk.H, blk.W), el('p', { class: 'lesson-viewcap', text: T('s1.view', { b: bi + 1 }) }));
    const idx = Array.from(v.s, (_, i) => i).sort((x, y) => v.s[y] - v.s[x] || x - y);
    const rows = [[T('s1.kept'), idx.slice(0, 4)], [T('s1.down'), idx.slice(-4).reverse()]];
    let hi = 0;
    for (const [, chans] of rows) for (const c of chans) for (let i = 0; i < HW; i++) hi = Math.max(hi, blk.relu[c * HW + i]);
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
    for (let i = 0; i < 1024; i++) {
        id.data[4 * i] = bytes[i]; id.data[4 * i + 1] = bytes[1024 + i]; id.data[4 * i + 2] = bytes[2048 + i]; id.data[4 * i + 3] = 255;
    }
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
async function viewFeatures(box, services, T, alive) {
    box.append(el('p', { class: 'lesson-viewcap', text: T('s4.view') }));
    const a = await inspectSE(box, services, T, alive);
    if (!a) return;
    const fig = el('div', { class: 'lesson-feat' });
    fig.dataset.testid = 'lesson-features';
    a.blocks.forEach((blk, b) => {
        const HW = blk.H * blk.W, v = blk.seView;
        const top = Array.from(v.pooled, (_, c) => c).sort((x, y) => v.pooled[y] - v.pooled[x] || x - y).slice(0, 6);
        let hi = 0;
        for (const c of top) for (let i = 0; i < HW; i++) hi = Math.max(hi, blk.relu[c * HW + i]);
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
async function viewHeatmaps(box, services, T, alive) {
    const a = await inspectSE(box, services, T, alive);
    if (!a) return;
    const fig = el('div', { class: 'lesson-heat' });
    fig.dataset.testid = 'lesson-heatmaps';
    // Grad-CAM overlay (normalised to its maximum for display)
    const g = a.gradcam;
    let gmax = 0;
    for (const x of g.cam) gmax = Math.max(gmax, x);
    const camFig = el('figure', { class: 'lesson-heatfig' });
    const stack = el('div', { class: 'lesson-stack' });
    const cam = mapCanvas('lesson-cam', 'Grad-CAM');
    const camScale = makeScale([0, 1], { min: 0, max: 1, map: inferno });
    const camNorm = Float32Array.from(g.cam, (x) => (gmax > 0 ? x / gmax : 0));
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

function viewEnd(box, services, T) {
    const st = modelStats(services);
    const ul = el('ul', { class: 'lesson-list' });
    ul.append(el('li', { text: T('s7.a') }), el('li', { text: T('s7.b') }));
    if (st) ul.append(el('li', { text: T('s7.c', overheadVars(st.o)) }));
    ul.append(el('li', { text: T('s7.d') }));
    box.append(ul);
}

function mount(element, services) {
    ensureCss();
    services.i18n.addStrings(lessonStrings);
    const T = (k, v) => services.i18n.t('lesson.' + k, v);
    const fromUrl = () => {
        const n = parseInt(services.url.get('step'), 10);
        return n >= 1 && n <= STEPS.length ? n - 1 : 0;
    };
    let cur = fromUrl();
    let gen = 0;
    const card = el('section', { class: 'lesson card' });
    card.dataset.testid = 'lesson';
    card.setAttribute('aria-label', T('label'));
    element.append(card);

    function go(i, { focus = false } = {}) {
        cur = Math.max(0, Math.min(STEPS.length - 1, i));
        services.url.set({ step: String(cur + 1) });
        const s = STEPS[cur];
        if (s.panel) services.page.showPanel(s.panel);
        render();
        if (focus) card.querySelector('.lesson-title').focus();
    }

    function render() {
        const my = ++gen;
        const s = STEPS[cur];
        card.replaceChildren();
        card.dataset.step = String(cur + 1);
        const top = el('div', { class: 'lesson-top' });
        const prog = el('div', { class: 'lesson-progress', text: `${T('label')} \u00b7 ${T('progress', { n: cur + 1, total: STEPS.length })}` });
        prog.dataset.testid = 'lesson-step';
        prog.dataset.step = String(cur + 1);
        prog.dataset.steps = String(STEPS.length);
        prog.dataset.id = s.id;
        const dots = el('nav', { class: 'lesson-dots' });
        dots.setAttribute('aria-label', T('steps'));
        STEPS.forEach((st, k) => {
            const d = el('button', { class: 'lesson-dot', text: String(k + 1) });
            d.type = 'button';
            d.title = T(`s${k + 1}.title`);
            d.setAttribute('aria-label', `${k + 1}: ${T(`s${k + 1}.title`)}`);
            if (k === cur) d.setAttribute('aria-current', 'step');
            d.addEventListener('click', () => go(k, { focus: true }));
            dots.append(d);
        });
        top.append(prog, dots);
        const title = el('h2', { class: 'lesson-title', text: T(`s${cur + 1}.title`) });
        title.tabIndex = -1;
        const body = el('div', { class: 'lesson-body' });
        const text = el('div', { class: 'lesson-text' });
        for (const k of s.texts) text.append(el('p', { text: T(`s${cur + 1}.${k}`) }));
        if (s.target) {
            const row = el('p', { class: 'lesson-below' });
            row.append(el('span', { text: T('below') + ' ' }));
            const show = el('button', { class: 'secondary lesson-show', text: T('show') });
            show.type = 'button';
            show.addEventListener('click', () => {
                if (s.panel) services.page.showPanel(s.panel);
                const t = document.querySelector(s.target);
                if (t) t.scrollIntoView({ behavior: 'smooth', block: 'start' });
            });
            row.append(show);
            text.append(row);
        }
        body.append(text);
        if (s.view) {
            const view = el('div', { class: 'lesson-view' });
            body.append(view);
            body.classList.add('lesson-has-view');
            Promise.resolve(s.view(view, services, T, () => my === gen && STEPS[cur] === s))
                .catch((e) => { if (my === gen) services.errors.show(e); });
        }
        const nav = el('div', { class: 'lesson-nav' });
        const prev = el('button', { class: 'secondary', text: T('prev') });
        prev.type = 'button';
        prev.dataset.testid = 'lesson-prev';
        prev.disabled = cur === 0;
        prev.addEventListener('click', () => go(cur - 1, { focus: true }));
        const last = cur === STEPS.length - 1;
        const next = el('button', { class: last ? 'secondary' : '', text: last ? T('restart') : T('next') });
        next.type = 'button';
        next.dataset.testid = last ? 'lesson-restart' : 'lesson-next';
        next.addEventListener('click', () => go(last ? 0 : cur + 1, { focus: true }));
        nav.append(prev, next);
        card.append(top, title, body, nav);
    }

    const rerenderIfView = () => { if (STEPS[cur].view) render(); };
    services.events.addEventListener('lang-changed', () => render());
    services.events.addEventListener('models-changed', rerenderIfView);
    services.events.addEventListener('ready', rerenderIfView);   // the models exist from here on
    services.events.addEventListener('image-changed', () => { if (STEPS[cur].usesImage) render(); });
    services.events.addEventListener('state-changed', () => { const n = fromUrl(); if (n !== cur) go(n); });

    go(cur);
    return { destroy() { element.replaceChildren(); } };
}

export default { id: 'lesson', param: 'lesson', mount };
export { STEPS };
