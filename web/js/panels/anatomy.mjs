// anatomy.mjs - the SE anatomy panel: one SE block (ca1, ca2, ca3) of the loaded CNN_SE,
// opened up for the current image: squeeze (input maps -> channel means), excitation
// (FC1 -> ReLU -> FC2 -> sigmoid, with the weights behind every value) and scale (maps
// before and after multiplying by s, channel-mean heat maps before and after the block).
// Every number shown is read from the model (services.models.inspect, .tensor); nothing is recomputed
// here except the channel-mean heat maps, which are plain means of the model's maps.
// Test hooks: data-testid anatomy-s (data-values: s as JSON, full float precision),
// anatomy-c (C), anatomy-pooled, anatomy-hidden-pre, anatomy-hidden, anatomy-z,
// anatomy-block-1..3, anatomy-detail.

import { anatomyStrings, prefixed } from '../anatomy-strings.mjs';
import { el } from '../dom.mjs';
import { fmt3 as fmt, makeScale, scaleBar, drawMap, mapCanvas, viridis } from '../colormap.mjs';
import { cellStrip, barCanvas, ensureCss } from '../anatomy-view.mjs';

const COLS = 32;          // cells per row: channel c sits in the same column in every strip
const DEFAULT_PICK = 4;   // default: this many highest-s and lowest-s channels

function topBottom(s, k) {
    const idx = Array.from(s, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
    return { high: idx.slice(0, k), low: idx.slice(-k).reverse() };
}

function channelMean(data, C, HW) {
    const out = new Float32Array(HW);
    for (let c = 0; c < C; c++) for (let i = 0; i < HW; i++) out[i] += data[c * HW + i];
    for (let i = 0; i < HW; i++) out[i] /= C;
    return out;
}

function mount(element, services) {
    ensureCss();
    services.i18n.addStrings(prefixed(anatomyStrings));
    const T = (k, v) => services.i18n.t('anatomy.' + k, v);

    const blockFromUrl = () => {
        const v = parseInt(services.url.get('ca'), 10);
        return v >= 1 && v <= 3 ? v - 1 : 0;
    };
    const chosenFromUrl = () => {
        const v = services.url.get('ch');
        if (!v) return null;
        const list = String(v).split(',').map((x) => parseInt(x, 10)).filter((x) => x >= 0);
        return list.length ? list : null;
    };

    let block = blockFromUrl();
    let chosen = chosenFromUrl();       // null: the default 4 + 4
    let data = null;                    // last { a, blk, w1, w2, b }
    let seq = 0;
    const weightCache = new Map();      // tensor name -> { shape, data } of the current CNN_SE
    let webcamStream = null;

    element.classList.add('anat');
    const root = el('div', { class: 'anat-root' });
    element.append(root);

    // ---- static skeleton (rebuilt on language change) --------------------------------------
    let ui = null;
    function build() {
        root.replaceChildren();
        ui = {};
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
            if (f) services.image.set({ file: f }).catch(() => {});   // the app shows the error
            upInput.value = '';
        });
        up.append(el('span', { text: T('upload') }), upInput);
        const cam = el('button', { class: 'secondary', text: T('webcam') });
        cam.type = 'button';
        cam.addEventListener('click', toggleWebcam);
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
            btn.addEventListener('click', () => setBlock(b));
            seg.append(btn);
            return btn;
        });
        ui.shape = el('div', { class: 'anat-shape' });
        ui.shape.dataset.testid = 'anatomy-c';   // data-c: the block's channel count
        ui.status = el('div', { class: 'anat-status' });
        ui.status.setAttribute('role', 'status');
        ui.weights = el('div', { class: 'anat-weights' });
        blockCol.append(el('div', { class: 'anat-label', text: T('block') }), seg, ui.shape, ui.weights, ui.status);
        head.append(imgCol, blockCol);
        root.append(head);

        // step 1: squeeze
        const s1 = step('squeeze', T('s1.title'), T('s1.caption'));
        ui.mapsLabel = el('div', { class: 'anat-label' });
        ui.maps = el('div', { class: 'anat-grid' });
        ui.mapsBar = el('div', { class: 'anat-barslot' });
        ui.meansLabel = el('div', { class: 'anat-label' });
        ui.pooled = cellStrip({ label: T('s1.mean'), testid: 'anatomy-pooled', cols: COLS,
            onInspect: (i) => detail('pooled', i), onPick: toggleChannel });
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
            onInspect: (j) => detail('hpre', j) });
        ui.hLabel = el('div', { class: 'anat-label', text: T('s2.h') });
        ui.h = cellStrip({ label: 'ReLU', testid: 'anatomy-hidden', cols: 8, numbers: true,
            onInspect: (j) => detail('h', j) });
        ui.hBar = el('div', { class: 'anat-barslot' });
        ui.zLabel = el('div', { class: 'anat-label' });
        ui.z = cellStrip({ label: 'z', testid: 'anatomy-z', cols: COLS,
            onInspect: (i) => detail('z', i), onPick: toggleChannel });
        ui.zBar = el('div', { class: 'anat-barslot' });
        ui.sLabel = el('div', { class: 'anat-label', text: T('s2.s') });
        ui.s = cellStrip({ label: 's', testid: 'anatomy-s', cols: COLS,
            onInspect: (i) => detail('s', i), onPick: toggleChannel });
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
        s2.body.append(el('p', { class: 'anat-hint', text: T('s2.hint') }), el('div', { class: 'anat-label', text: 'FC1 (C \u2192 C/16)' }),
            hidRow, ui.hBar, el('div', { class: 'anat-arrow', text: '\u2193 FC2 (C/16 \u2192 C)' }), ui.zLabel, ui.z.el, ui.zBar,
            el('div', { class: 'anat-arrow', text: '\u2193 sigmoid' }), ui.sLabel, ui.s.el, ui.sBar, ui.sRange, legendEl(), ui.detail);

        // step 3: scale
        const s3 = step('scale', T('s3.title'), T('s3.caption'));
        const pickRow = el('div', { class: 'anat-pickrow' });
        const reset = el('button', { class: 'secondary', text: T('s3.reset') });
        reset.type = 'button';
        reset.addEventListener('click', () => { chosen = null; services.url.set({ ch: null }); renderScale(); });
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
        const only = (services.url.get('view') || '').split(',').filter((v) => v in parts);
        if (services.page.embed && only.length) for (const [k, sec] of Object.entries(parts)) sec.hidden = !only.includes(k);
        markBlock();
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

    function markBlock() {
        ui.blockBtns.forEach((btn, b) => btn.setAttribute('aria-pressed', String(b === block)));
    }

    function setBlock(b) {
        if (b === block && data) return;
        block = b;
        chosen = null;
        services.url.set({ ca: String(b + 1), ch: null });
        markBlock();
        refresh();
    }

    function toggleChannel(c) {
        if (!data) return;
        const cur = chosen ? chosen.slice() : defaultChosen();
        const k = cur.indexOf(c);
        if (k >= 0) cur.splice(k, 1); else cur.push(c);
        chosen = cur;
        services.url.set({ ch: cur.join(',') });
        renderScale();
    }

    function defaultChosen() {
        const { high, low } = topBottom(data.blk.seView.s, DEFAULT_PICK);
        return high.concat(low);
    }

    // ---- data -------------------------------------------------------------------------
    async function weight(name) {
        if (!weightCache.has(name)) weightCache.set(name, services.models.tensor('CNN_SE', name));
        return weightCache.get(name);
    }

    function status(msg) { ui.status.textContent = msg || ''; }

    async function refresh() {
        const my = ++seq;
        drawImage();
        if (!services.models.get('CNN_SE')) { status(T('noModel')); return; }
        if (!services.image.current()) { status(T('noImage')); return; }
        status(T('loading'));
        try {
            const b = block;
            const [a, w1, w2] = await Promise.all([services.models.inspect('CNN_SE'),
                weight(`ca${b + 1}.fc.0.weight`), weight(`ca${b + 1}.fc.2.weight`)]);
            if (my !== seq) return;
            const blk = a.blocks[b];
            if (!blk || !blk.seView) throw new Error(`CNN_SE block ca${b + 1} has no SE view`);
            if (!blk.seView.hidden_pre) blk.seView.hidden_pre = blk.seView.hiddenPre;
            data = { a, blk, w1, w2, b };
            if (chosen && chosen.some((c) => c >= blk.C)) chosen = null;
            status('');
            render();
        } catch (e) {
            if (my !== seq) return;
            status('');
            services.errors.show(e);
        }
    }

    // ---- drawing ----------------------------------------------------------------------
    function drawImage() {
        const img = services.image.current();
        const cv = ui.imgCanvas;
        if (!img) { cv.width = 32; cv.height = 32; cv.getContext('2d').clearRect(0, 0, 32, 32); ui.imgInfo.textContent = ''; return; }
        cv.width = 32; cv.height = 32;
        const g = cv.getContext('2d'), id = g.createImageData(32, 32);
        for (let i = 0; i < 1024; i++) {
            id.data[4 * i] = img.bytes[i]; id.data[4 * i + 1] = img.bytes[1024 + i];
            id.data[4 * i + 2] = img.bytes[2048 + i]; id.data[4 * i + 3] = 255;
        }
        g.putImageData(id, 0, 0);
        cv.setAttribute('aria-label', img.name || T('image'));
        ui.imgInfo.replaceChildren(el('div', { text: img.name || '' }));
        if (img.label !== null && img.label !== undefined) ui.imgInfo.append(el('div', { text: T('label', { cls: services.i18n.className(img.label) }) }));
        if (img.note) ui.imgInfo.append(el('div', { class: 'anat-note', text: img.note }));
    }

    async function fillGallery() {
        try {
            const ts = await services.data.testSet();
            const n = Math.min(10, ts.n);
            ui.gallery.replaceChildren();
            for (let k = 0; k < n; k++) {
                const btn = el('button', { class: 'anat-thumb' });
                btn.type = 'button';
                btn.dataset.testid = `anatomy-gallery-${k}`;
                btn.setAttribute('aria-label', `${k}: ${services.i18n.className(ts.labels[k])}`);
                btn.title = services.i18n.className(ts.labels[k]);
                const cv = el('canvas');
                cv.width = 32; cv.height = 32;
                const g = cv.getContext('2d'), id = g.createImageData(32, 32), off = k * 3072;
                for (let i = 0; i < 1024; i++) {
                    id.data[4 * i] = ts.images[off + i]; id.data[4 * i + 1] = ts.images[off + 1024 + i];
                    id.data[4 * i + 2] = ts.images[off + 2048 + i]; id.data[4 * i + 3] = 255;
                }
                g.putImageData(id, 0, 0);
                btn.append(cv);
                btn.addEventListener('click', () => services.image.set({ index: k }).catch(() => {}));
                ui.gallery.append(btn);
            }
            markGallery();
        } catch { /* no test set served: upload and webcam still work */ }
    }
    function markGallery() {
        const idx = services.image.current() && services.image.current().source === 'gallery' ? services.image.current().index : -1;
        ui.gallery.querySelectorAll('.anat-thumb').forEach((b, k) => b.setAttribute('aria-pressed', String(k === idx)));
    }

    function render() {
        if (!data || !ui) return;
        const { a, blk, b } = data;
        const { C, H, W } = blk, v = blk.seView, R = v.R;
        ui.shape.dataset.c = String(C);
        ui.shape.textContent = `ca${b + 1} \u00b7 ` + T('shape', { C, H, W, R });
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
            cell.addEventListener('click', () => toggleChannel(c));
            cell.addEventListener('mouseenter', () => detail('pooled', c));
            cell.addEventListener('focus', () => detail('pooled', c));
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
        let smin = Infinity, smax = -Infinity, ssum = 0;
        for (const x of v.s) { smin = Math.min(smin, x); smax = Math.max(smax, x); ssum += x; }
        ui.sRange.textContent = T('s2.range', { min: smin.toFixed(3), max: smax.toFixed(3), mean: (ssum / C).toFixed(3) });
        // a "dead" block: every hidden unit is <= 0, so s = sigmoid(0) = 0.5 for all channels
        if (Array.from(v.hidden).every((x) => x === 0)) ui.sRange.textContent += ' ' + T('s2.dead');
        ui.s.set(v.s, sScale);
        ui.s.el.dataset.block = `ca${b + 1}`;
        ui.sBar.replaceChildren(scaleBar(sScale, 's'));
        detail('s', topBottom(v.s, 1).high[0]);
        ui.s.clearActive();
        renderScale();
    }

    function renderScale() {
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
        let hi = 0;
        for (const c of list) for (let i = 0; i < HW; i++) hi = Math.max(hi, blk.relu[c * HW + i], blk.se[c * HW + i]);
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
    function detail(kind, i) {
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
            const row = w1.data.subarray(i * C, (i + 1) * C);
            const terms = Array.from(row, (w, c) => w * v.pooled[c]);
            const top = terms.map((t, c) => [t, c]).sort((x, y) => Math.abs(y[0]) - Math.abs(x[0])).slice(0, 3)
                .map(([t, c]) => `c${c}: ${fmt(t)}`).join(', ');
            line(T('d.hpre', { j: i, C, v: fmt(v.hidden_pre[i]) }));
            if (kind === 'h') line(T('d.h', { pre: fmt(v.hidden_pre[i]), v: fmt(v.hidden[i]) }));
            line(T('d.w1', { j: i, name: n1 }), 'anat-dsub');
            const axis = () => el('div', { class: 'anat-axis', text: `c = 0 \u2026 ${C - 1}` });
            box.append(barCanvas(row, { width: Math.max(128, 4 * C) }), axis());
            line(T('d.contrib', { j: i, top }), 'anat-dsub');
            box.append(barCanvas(terms, { width: Math.max(128, 4 * C) }), axis());
        } else if (kind === 'z' || kind === 's') {
            const row = w2.data.subarray(i * R, (i + 1) * R);
            if (kind === 's') line(T('d.s', { i, z: fmt(v.z[i]), v: v.s[i].toFixed(6) }));
            line(T('d.z', { i, R, v: fmt(v.z[i]) }));
            line(T('d.w2', { i, name: n2 }), 'anat-dsub');
            const list = el('ul', { class: 'anat-terms' });
            for (let k = 0; k < R; k++) {
                list.append(el('li', { text: T('d.zterm', { i, k, w: fmt(row[k]), h: fmt(v.hidden[k]), p: fmt(row[k] * v.hidden[k]) }) }));
            }
            box.append(list);
        }
    }

    // ---- webcam -----------------------------------------------------------------------
    async function toggleWebcam() {
        if (webcamStream) { stopWebcam(); return; }
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { services.errors.show(T('noWebcam')); return; }
        try {
            webcamStream = await navigator.mediaDevices.getUserMedia({ video: true });
        } catch (e) { services.errors.show(T('noWebcam') + ' (' + e.message + ')'); return; }
        const video = el('video', { class: 'anat-video' });
        video.muted = true; video.playsInline = true; video.srcObject = webcamStream;
        await video.play().catch(() => {});
        const snap = el('button', { text: T('snap') });
        snap.type = 'button';
        snap.addEventListener('click', () => {
            const cv = document.createElement('canvas');
            cv.width = video.videoWidth || 320; cv.height = video.videoHeight || 240;
            cv.getContext('2d').drawImage(video, 0, 0, cv.width, cv.height);
            stopWebcam();
            services.image.set({ canvas: cv, source: 'webcam' }).catch(() => {});
        });
        ui.camBox.replaceChildren(video, snap);
        ui.camBox.hidden = false;
    }
    function stopWebcam() {
        if (webcamStream) webcamStream.getTracks().forEach((t) => t.stop());
        webcamStream = null;
        if (ui) { ui.camBox.replaceChildren(); ui.camBox.hidden = true; }
    }

    // ---- events -----------------------------------------------------------------------
    function update(what) {
        if (what === 'lang-changed') {
            build(); fillGallery(); drawImage();
            if (data) render(); else refresh();
        } else if (what === 'models-changed') {
            weightCache.clear(); data = null; refresh();
        } else if (what === 'image-changed') {
            markGallery(); refresh();
        } else if (what === 'state-changed') {
            const b = blockFromUrl();
            if (b !== block) { block = b; chosen = chosenFromUrl(); markBlock(); refresh(); }
        } else if (what === 'shown') {
            if (!data) refresh();
        }
    }
    const on = (name) => { const f = () => update(name); services.events.addEventListener(name, f); return [name, f]; };
    const listeners = ['models-changed', 'image-changed', 'lang-changed', 'state-changed'].map(on);

    build();
    fillGallery();
    refresh();

    return {
        // the app's 'shown'; the other news arrives through services.events (listeners above)
        update(what) { if (what === 'shown') update('shown'); },
        destroy() {
            stopWebcam();
            listeners.forEach(([n, f]) => services.events.removeEventListener(n, f));
            element.replaceChildren();
        },
    };
}

// Parts that ?embed=1&view= can show alone (the page's embed dialog lists them).
const views = {
    image: { en: 'image and block choice', zh: '图片和模块选择' },
    squeeze: { en: '1 · squeeze', zh: '1 · 压缩' },
    excite: { en: '2 · excitation', zh: '2 · 激励' },
    scale: { en: '3 · scale', zh: '3 · 缩放' },
};

export default {
    id: 'anatomy',
    title: { en: 'SE anatomy', zh: 'SE 模块解剖' },
    views,
    mount,
};
