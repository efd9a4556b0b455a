// anatomy-view.mjs - small DOM pieces shared by the SE anatomy panel and the lesson: colour
// maps for signed values, a strip of value cells (one per channel or hidden unit) with
// hover/keyboard inspection, colour bars, and map canvases. No model logic here.

// Perceptually uniform viridis (matplotlib's, 9 anchors, linear in between) for values >= 0,
// used when the page's colormap module is not passed in.
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
// Diverging blue - grey - red (Moreland's cool-warm end points) for signed values: the sign
// is the hue, the size is the distance from grey.
const COOLWARM = [[59, 76, 192], [141, 176, 254], [221, 221, 221], [244, 154, 123], [180, 4, 38]];

function ramp(anchors, t) {
    if (!(t >= 0)) t = 0; else if (t > 1) t = 1;
    const x = t * (anchors.length - 1), i = Math.min(anchors.length - 2, Math.floor(x)), f = x - i;
    const a = anchors[i], b = anchors[i + 1];
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round);
}
export const viridis = (t) => ramp(VIRIDIS, t);
export const coolwarm = (t) => ramp(COOLWARM, t);

// A scale maps a value to [r,g,b]; signed scales are symmetric around 0.
export function makeScale(values, { signed = false, min, max, map } = {}) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (signed) {
        const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
        lo = -m; hi = m;
    }
    if (min !== undefined) lo = min;
    if (max !== undefined) hi = max;
    if (hi <= lo) hi = lo + 1e-6;
    const fn = map || (signed ? coolwarm : viridis);
    return { min: lo, max: hi, signed, map: fn, color: (v) => fn((v - lo) / (hi - lo)) };
}

export const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
const light = (c) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 150;

// The panel's and lesson's stylesheet, added once (a <link>: the CSP allows same-origin CSS).
export function ensureCss() {
    if (document.getElementById('anatomy-css')) return;
    const link = document.createElement('link');
    link.id = 'anatomy-css';
    link.rel = 'stylesheet';
    link.href = new URL('../css/anatomy.css', import.meta.url).href;
    document.head.append(link);
}

export function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
}

// 3 significant digits for labels; the full float is in data-value.
export function fmt(v) {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1000 || a < 0.001) return v.toExponential(2);
    return v.toPrecision(3);
}

// Horizontal colour bar: gradient canvas with min, (0,) max labels and a caption.
export function colorbar(scale, label) {
    const wrap = el('div', 'anat-cbar');
    const cv = el('canvas', 'anat-cbar-canvas');
    cv.width = 128; cv.height = 1;
    const g = cv.getContext('2d'), img = g.createImageData(128, 1);
    for (let i = 0; i < 128; i++) {
        const c = scale.map(i / 127);
        img.data.set([c[0], c[1], c[2], 255], i * 4);
    }
    g.putImageData(img, 0, 0);
    cv.setAttribute('role', 'img');
    cv.setAttribute('aria-label', `${label}: ${fmt(scale.min)} … ${fmt(scale.max)}`);
    const ticks = el('div', 'anat-cbar-ticks');
    ticks.append(el('span', '', fmt(scale.min)));
    if (scale.signed) ticks.append(el('span', '', '0'));
    ticks.append(el('span', '', fmt(scale.max)));
    wrap.append(el('div', 'anat-cbar-label', label), cv, ticks);
    return wrap;
}

// Draw one (H,W) map of `data` starting at `offset` onto a canvas with a scale.
export function drawMap(canvas, data, offset, H, W, scale) {
    canvas.width = W; canvas.height = H;
    const g = canvas.getContext('2d'), img = g.createImageData(W, H);
    for (let i = 0; i < H * W; i++) {
        const c = scale.color(data[offset + i]);
        img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    g.putImageData(img, 0, 0);
}

export function mapCanvas(cls, label) {
    const cv = el('canvas', 'anat-map ' + (cls || ''));
    cv.setAttribute('role', 'img');
    if (label) cv.setAttribute('aria-label', label);
    return cv;
}

// A strip of cells, one per value. Focus is roving: the strip is one tab stop, the arrow
// keys move between cells, Enter/Space picks. onInspect(i) on hover/focus, onPick(i) on
// click/Enter. Each cell carries its exact value in data-value.
export function cellStrip({ label, testid, cols, numbers = false, onInspect, onPick }) {
    const root = el('div', 'anat-strip' + (numbers ? ' anat-strip-num' : ''));
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
                    const c = el('div', 'anat-cell');
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
    const cv = el('canvas', 'anat-bars');
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
