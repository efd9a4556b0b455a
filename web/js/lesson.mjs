// lesson.mjs - the guided lesson (?lesson=1): a card above the panels with the lesson's steps
// (what channel attention is, the two models' cost, training, feature maps, heat maps, one
// SE block opened up, the reduction ratio, conclusion), previous/next, and for each step the live view it talks
// about: drawn in the card (steps 1, 2, 4, 5, 7, 8) and/or the page's panel switched to below.
// The step is in the URL (step=N), so a teacher can link to one step. This module holds the
// steps and the card (progress, step dots, text, previous/next, keyboard focus on the title);
// the views are in lesson-views.mjs, lesson-stats.mjs (the per-layer table) and
// lesson-reduction.mjs (the reduction ratio), their
// arithmetic in lesson-helpers.mjs, the texts in lesson-strings.mjs.
// Test hooks: data-testid lesson, lesson-step (data-step, data-steps, data-id), lesson-prev,
// lesson-next, lesson-restart (last step), lesson-stats (the per-layer table; cells carry data-value).

import { lessonStrings } from './lesson-strings.mjs';
import { el } from './dom.mjs';
import { ensureCss } from './anatomy-view.mjs';
import { stepFromParam } from './lesson-helpers.mjs';
import { viewStats } from './lesson-stats.mjs';
import { viewAttention, viewFeatures, viewHeatmaps, viewEnd } from './lesson-views.mjs';
import { viewReduction } from './lesson-reduction.mjs';

const STEPS = [
    { id: 'attention', panel: 'inspect', texts: ['text', 'text2'], view: viewAttention, usesImage: true },
    { id: 'models', panel: null, texts: ['text'], view: viewStats },
    { id: 'train', panel: 'train', texts: ['text', 'text2'], target: '[data-testid=loss-chart]' },
    { id: 'features', panel: 'inspect', texts: ['text', 'text2'], target: '[data-testid=feature-maps]', view: viewFeatures, usesImage: true },
    { id: 'heatmaps', panel: 'inspect', texts: ['text', 'text2'], target: '[data-testid=heatmap]', view: viewHeatmaps, usesImage: true },
    { id: 'anatomy', panel: 'anatomy', texts: ['text', 'text2'], target: '#panel-anatomy' },
    { id: 'reduction', panel: null, texts: ['text', 'text2'], view: viewReduction },
    { id: 'end', panel: 'evaluate', texts: [], view: viewEnd },
];

function mount(element, services) {
    ensureCss();
    services.i18n.addStrings(lessonStrings);
    const T = (k, v) => services.i18n.t('lesson.' + k, v);
    const fromUrl = () => stepFromParam(services.url.get('step'), STEPS.length);
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
