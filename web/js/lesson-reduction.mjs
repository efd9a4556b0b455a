// lesson-reduction.mjs - the lesson's step on the reduction ratio R: the loaded CNN_SE's hidden
// units per block (read from the model: C / hidden = R), and the dead-unit study's table per R
// (hidden units, SE parameters, dead units, test accuracy) from web/data/se-study.json, the file
// scripts/se_study.py writes from the committed logs, as it writes the model card's table.
// Test hooks: data-testid lesson-reduction (the table; rows data-r, cells data-what/data-value),
// lesson-reduction-model (data-hidden: the loaded model's hidden sizes, comma-separated).

import { el } from './dom.mjs';
import { group, studyRows } from './lesson-helpers.mjs';
import { reductionOf } from './panels/anatomy-helpers.mjs';
import { loadStudy } from './study-data.mjs';

export async function viewReduction(box, services, T, alive) {
    if (services.models.get('CNN_SE')) {
        const a = await services.models.inspect('CNN_SE').catch(() => null);
        if (!alive()) return;
        if (a) {
            const blocks = a.blocks.map((b, i) => ({ name: `ca${i + 1}`, C: b.C, h: b.seView.R }));
            const p = el('p', { class: 'lesson-viewcap', text: T('s7.model', {
                blocks: blocks.map((b) => T('s7.block', { name: b.name, h: b.h, C: b.C, r: reductionOf(b.C, b.h) })).join('; ') }) });
            p.dataset.testid = 'lesson-reduction-model';
            p.dataset.hidden = blocks.map((b) => b.h).join(',');
            box.append(p);
        }
    }
    let study;
    try {
        study = await loadStudy('se-study');
    } catch {
        if (alive()) box.append(el('p', { class: 'lesson-note', text: T('s7.noStudy') }));
        return;
    }
    if (!alive()) return;
    const rows = studyRows(study);
    const table = el('table', { class: 'lesson-stats' });
    table.dataset.testid = 'lesson-reduction';
    const head = el('tr');
    for (const k of ['R', 'hidden', 'params', 'dead', 'acc', 'runsHead']) head.append(el('th', { text: T('s7.' + k) }));
    table.append(el('thead'), el('tbody'));
    table.tHead.append(head);
    for (const r of rows) {
        const tr = el('tr');
        tr.dataset.r = String(r.R);
        const cell = (what, text, value) => {
            const td = el('td', { text });
            td.dataset.what = what;
            if (value !== undefined) td.dataset.value = String(value);
            tr.append(td);
        };
        cell('R', String(r.R), r.R);
        cell('hidden', r.hidden.join(' \u00b7 '), r.hidden.join(','));
        cell('params', group(r.params), r.params);
        cell('dead', r.dead.join(' \u00b7 '));
        cell('acc', r.acc);
        cell('runs', T('s7.runs', { n: r.seeds, e: r.epoch }) + (r.complete ? '' : ' ' + T('s7.partial')));
        table.tBodies[0].append(tr);
    }
    const wrap = el('div', { class: 'lesson-tablewrap' });
    wrap.append(table);
    box.append(wrap, el('p', { class: 'lesson-how', text: T('s7.how') }));
}
