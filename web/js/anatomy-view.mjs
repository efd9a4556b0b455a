// anatomy-view.mjs - widgets shared by the SE anatomy panel and the lesson: a strip of value
// cells (one per channel or hidden unit) with hover/keyboard inspection, bars of a signed
// vector, and the anatomy stylesheet. Colours and maps come from colormap.mjs. No model logic.

import { el } from './dom.mjs';
import { COOLWARM, cssColor as rgb, fmt3 as fmt } from './colormap.mjs';

// black text on a cell whose colour c = [r, g, b] gives it more contrast than white
// text (WCAG relative luminance; the better of the two is at least 4.58:1 for any colour)
const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
const light = (c) => {
    const L = 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    return (L + 0.05) / 0.05 > 1.05 / (L + 0.05);
};

// The panel's and lesson's stylesheet, added once (a <link>: the CSP allows same-origin CSS).
export function ensureCss() {
    if (document.getElementById('anatomy-css')) return;
    const link = document.createElement('link');
    link.id = 'anatomy-css';
    link.rel = 'stylesheet';
    link.href = new URL('../css/anatomy.css', import.meta.url).href;
    document.head.append(link);
}

// A strip of cells, one per value. Focus is roving: the strip is one tab stop, the arrow
// keys move between cells, Enter/Space picks. onInspect(i) on hover/focus, onPick(i) on
// click/Enter. Each cell carries its exact value in data-value.
export function cellStrip({ label, testid, cols, numbers = false, onInspect, onPick }) {
    const root = el('div', { class: 'anat-strip' + (numbers ? ' anat-strip-num' : '') });
    root.tabIndex = 0;
    root.setAttribute('role', 'group');
    root.setAttribute('aria-label', label);
    if (testid) root.dataset.testid = testid;
    let cells = [], values = [], active = 0, selected = new Set();

    function setActive(i, pick) {
        if (!cells.length) return;
        active = Math.max(0, Math.min(cells.length - 1, i));
        cells.forEach((c, j) => c.classList.toggle('anat-active', j === active));
        onInspect && onInspect(active);
        if (pick && onPick) onPick(active);
    }
    root.addEventListener('keydown', (e) => {
        const k = e.key, step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -1e9, End: 1e9 }[k];
        if (step !== undefined) { e.preventDefault(); setActive(active + step); }
        else if (k === 'Enter' || k === ' ') { e.preventDefault(); setActive(active, true); }
    });
    root.addEventListener('focus', () => setActive(active));
    root.addEventListener('mouseover', (e) => {
        const c = e.target.closest('.anat-cell');
        if (c) setActive(+c.dataset.index);
    });
    root.addEventListener('click', (e) => {
        const c = e.target.closest('.anat-cell');
        if (c) setActive(+c.dataset.index, true);
    });

    return {
        el: root,
        // vals: array-like of numbers; scale from makeScale.
        set(vals, scale) {
            values = Array.from(vals);
            root.dataset.values = JSON.stringify(values);
            root.dataset.count = String(values.length);
            root.style.setProperty('--cols', String(Math.min(cols, values.length)));
            root.classList.toggle('anat-strip-wide', Math.min(cols, values.length) > 16);
            root.classList.toggle('anat-strip-many', Math.min(cols, values.length) > 4);
            if (cells.length !== values.length) {
                root.replaceChildren();
                cells = values.map((_, i) => {
                    const c = el('div', { class: 'anat-cell' });
                    c.dataset.index = String(i);
                    root.append(c);
                    return c;
                });
                active = Math.min(active, cells.length - 1);
            }
            values.forEach((v, i) => {
                const c = cells[i], col = scale.color(v);
                c.style.backgroundColor = rgb(col);
                c.classList.toggle('anat-dark-text', light(col));
                c.dataset.value = String(v);
                c.title = `${i}: ${fmt(v)}`;
                c.textContent = numbers ? fmt(v) : '';
                c.classList.toggle('anat-selected', selected.has(i));
            });
        },
        select(set) {
            selected = new Set(set);
            cells.forEach((c, i) => c.classList.toggle('anat-selected', selected.has(i)));
        },
        clearActive() { cells.forEach((c) => c.classList.remove('anat-active')); },
        get values() { return values; },
    };
}

// Bars of a signed vector (e.g. the weights or the contributions w*x that make a sum).
export function barCanvas(values, { width = 256, height = 48, highlight = -1 } = {}) {
    const cv = el('canvas', { class: 'anat-bars' });
    cv.width = width; cv.height = height;
    const g = cv.getContext('2d');
    let m = 0;
    for (const v of values) m = Math.max(m, Math.abs(v));
    m = m || 1;
    const n = values.length, bw = width / n, mid = height / 2;
    g.fillStyle = '#888';
    g.fillRect(0, mid, width, 1);
    for (let i = 0; i < n; i++) {
        const v = values[i], h = (Math.abs(v) / m) * (mid - 1);
        g.fillStyle = i === highlight ? '#000' : v >= 0 ? rgb(COOLWARM[4]) : rgb(COOLWARM[0]);
        g.fillRect(i * bw + (bw > 3 ? 0.5 : 0), v >= 0 ? mid - h : mid + 1, Math.max(1, bw - (bw > 3 ? 1 : 0)), h);
    }
    cv.setAttribute('role', 'img');
    return cv;
}
