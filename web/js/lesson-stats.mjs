// lesson-stats.mjs - the lesson's cost of the SE blocks (step 2): the parameters and FLOPs of
// both loaded models (modelStats, from model-stats.mjs) and the per-layer table of CNN and
// CNN_SE side by side (viewStats). Test hooks: data-testid lesson-overhead (data-extra-params,
// data-extra-flops), lesson-stats (rows carry data-layer; cells data-value, data-model, data-what).

import { layerStats, seOverhead, formatCount, formatPercent } from './model-stats.mjs';
import { el } from './dom.mjs';
import { group, overheadVars } from './lesson-helpers.mjs';

// Stats of both loaded models, or null if one is missing.
export function modelStats(services) {
    const cnnModel = services.models.get('CNN'), seModel = services.models.get('CNN_SE');
    if (!cnnModel || !seModel) return null;
    const cnn = layerStats(cnnModel.tensors()), se = layerStats(seModel.tensors());
    return { cnn, se, o: seOverhead(cnn, se) };
}

// Step 2: per-layer parameters and FLOPs of CNN and CNN_SE, side by side.
export function viewStats(box, services, T) {
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
        if (l.kind === 'se') name.append(el('span', { class: 'lesson-seshape', text: ' ' + T('s2.seShape', { r: l.reduction, h: l.hidden }) }));
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
