// anatomy.mjs - the SE anatomy panel: one SE block (ca1, ca2, ca3) of the loaded CNN_SE,
// opened up for the current image: squeeze (input maps -> channel means), excitation
// (FC1 -> ReLU -> FC2 -> sigmoid, with the weights behind every value) and scale (maps
// before and after multiplying by s, channel-mean heat maps before and after the block).
// Every number shown is read from the model (services.models.inspect, .tensor); nothing is recomputed
// except the channel-mean heat maps, which are plain means of the model's maps.
// This file holds the state (block, chosen channels, the analysis and the weights), the image
// choice and the events; the skeleton is anatomy-steps.mjs, the drawing anatomy-draw.mjs, the
// arithmetic anatomy-helpers.mjs. Test hooks: data-testid anatomy-s (data-values: s as JSON,
// full float precision), anatomy-c (C), anatomy-pooled, anatomy-hidden-pre, anatomy-hidden,
// anatomy-z, anatomy-block-1..3, anatomy-detail.

import { anatomyStrings, prefixed } from '../anatomy-strings.mjs';
import { el } from '../dom.mjs';
import { ensureCss } from '../anatomy-view.mjs';
import { DEFAULT_PICK, blockFromParam, channelsFromParam, openingBlock, topBottom, chwToRGBA } from './anatomy-helpers.mjs';
import { buildAnatomy } from './anatomy-steps.mjs';
import { drawSteps, drawScale, drawDetail } from './anatomy-draw.mjs';

function mount(element, services) {
    ensureCss();
    services.i18n.addStrings(prefixed(anatomyStrings));
    const T = (k, v) => services.i18n.t('anatomy.' + k, v);

    const blockFromUrl = () => blockFromParam(services.url.get('ca'));
    // ?ca= given: that block; else the block is chosen per image (openingBlock) when it is analysed
    const blockInUrl = () => /^[123]$/.test(String(services.url.get('ca') || ''));
    const chosenFromUrl = () => channelsFromParam(services.url.get('ch'));

    let block = blockFromUrl();
    let opened = !blockInUrl();         // the block was chosen by openingBlock, not by the user
    let chosen = chosenFromUrl();       // null: the default 4 + 4
    let data = null;                    // last { a, blk, w1, w2, b }
    let seq = 0;
    const weightCache = new Map();      // tensor name -> { shape, data } of the current CNN_SE
    let webcamStream = null;

    element.classList.add('anat');
    const root = el('div', { class: 'anat-root' });
    element.append(root);

    // ---- skeleton (anatomy-steps.mjs; rebuilt on language change) and drawing (anatomy-draw.mjs)
    let ui = null;
    function build() {
        const only = services.page.embed ? (services.url.get('view') || '').split(',') : [];
        ui = buildAnatomy(root, T, { upload, webcam: toggleWebcam, block: setBlock, inspect: detail, pick: toggleChannel, reset }, only);
        markBlock();
    }
    function upload(f) { services.image.set({ file: f }).catch(() => {}); }   // the app shows the error
    function reset() { chosen = null; services.url.set({ ch: null }); renderScale(); }
    // what the drawing reads, at the time it draws
    const view = {
        get ui() { return ui; }, get data() { return data; }, get chosen() { return chosen; },
        T, services, pick: (c) => toggleChannel(c),
    };
    const render = () => drawSteps(view);
    const renderScale = () => drawScale(view);
    const detail = (kind, i) => drawDetail(view, kind, i);

    function markBlock() {
        ui.blockBtns.forEach((btn, b) => btn.setAttribute('aria-pressed', String(b === block)));
    }

    function setBlock(b) {
        if (b === block && data && !data.opened) return;
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

    // Hidden (another tab shown), the view does not redo its analysis on every change (each
    // epoch of a training run changes the models): it is stale until it is shown again.
    let stale = false;
    const shown = () => (element.checkVisibility ? element.checkVisibility() : element.offsetParent !== null);
    function refreshIfShown() {
        if (shown()) refresh();
        else { stale = true; seq++; }   // seq: an analysis under way is dropped
    }
    async function refresh() {
        stale = false;
        const my = ++seq;
        drawImage();
        if (!services.models.get('CNN_SE')) { status(T('noModel')); return; }
        if (!services.image.current()) { status(T('noImage')); return; }
        status(T('loading'));
        try {
            const a = await services.models.inspect('CNN_SE');
            if (my !== seq) return;
            opened = !blockInUrl();
            const b = opened ? openingBlock(null, a.blocks.map((x) => (x.seView ? x.seView.s : []))) : block;
            if (b !== block) { block = b; chosen = null; markBlock(); }
            const [w1, w2] = await Promise.all([weight(`ca${b + 1}.fc.0.weight`), weight(`ca${b + 1}.fc.2.weight`)]);
            if (my !== seq) return;
            const blk = a.blocks[b];
            if (!blk || !blk.seView) throw new Error(`CNN_SE block ca${b + 1} has no SE view`);
            if (!blk.seView.hidden_pre) blk.seView.hidden_pre = blk.seView.hiddenPre;
            data = { a, blk, w1, w2, b, opened };
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
        chwToRGBA(img.bytes, 0, id.data);
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
                const g = cv.getContext('2d'), id = g.createImageData(32, 32);
                chwToRGBA(ts.images, k * 3072, id.data);
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
            weightCache.clear(); data = null; refreshIfShown();
        } else if (what === 'image-changed') {
            markGallery(); refreshIfShown();
        } else if (what === 'state-changed') {
            const b = blockFromUrl();
            if (blockInUrl() ? b !== block : !opened) { block = b; chosen = chosenFromUrl(); markBlock(); refresh(); }
        } else if (what === 'shown') {
            if ((!data || stale) && shown()) refresh();
        }
    }
    const on = (name, f = () => update(name)) => { services.events.addEventListener(name, f); return [name, f]; };
    const listeners = ['models-changed', 'image-changed', 'lang-changed', 'state-changed'].map((n) => on(n));
    // another panel shown: this view may be inside it (page.mountPanel); its own tab: 'shown' below
    listeners.push(on('panel-shown', (e) => { if (e.detail.id !== 'anatomy') update('shown'); }));

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
