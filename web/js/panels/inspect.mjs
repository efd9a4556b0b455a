// inspect.mjs - the Inspect panel: pick an image (test gallery, upload, drag and drop, paste,
// camera), see the 32x32 input, both models' probabilities, Grad-CAM, the class-agnostic
// channel-mean map, feature maps per block and the SE channel weights of CNN_SE. This file
// builds the cards and draws them; the picker (inspect-picker.mjs), the SE card
// (inspect-se.mjs), the texts (inspect-strings.mjs) and the arithmetic (inspect-helpers.mjs)
// are their own modules.

import { drawMap, drawColorbar, range, formatValue } from '../colormap.mjs';
import { chwToCanvas } from '../images.mjs';
import { el } from '../dom.mjs';
import { featureGrid } from '../featuregrid.mjs';
import { inspectStrings, inspectViews } from './inspect-strings.mjs';
import { KINDS, SIZES, pct, initialState, viewParts, LEFT_PARTS, RIGHT_PARTS, activationScale } from './inspect-helpers.mjs';
import { imagePicker } from './inspect-picker.mjs';
import { seWeightsCard } from './inspect-se.mjs';

// a label with its control, kept together when the row wraps
const ctl = (key, input) => el('label', { class: 'ctl' }, el('span', { i18n: key }), input);

function mount(root, services) {
  services.i18n.addStrings(inspectStrings);
  const t = services.i18n.t;

  // ---- image picker (inspect-picker.mjs)
  const picker = imagePicker(services);
  const pickCard = picker.card;

  // ---- what the network sees
  const origBox = el('figure');
  const netC = el('canvas', { class: 'net pixelated', width: '32', height: '32', role: 'img' });
  netC.dataset.i18nAria = 'inspect.input';
  const origCap = el('figcaption', { i18n: 'inspect.original' });
  const netFig = el('figure', {}, netC, el('figcaption', { i18n: 'inspect.input' }));
  const seenNote = el('p', { class: 'caption' });
  const truth = el('p', { class: 'small' });
  const seenCard = el('div', { class: 'card' }, el('h2', { i18n: 'inspect.seen' }),
    el('div', { class: 'seen' }, origBox, el('span', { 'aria-hidden': 'true', text: '→' }), netFig), truth, seenNote);

  // ---- predictions
  const top1 = el('p', { class: 'top1' });
  const probCols = el('div', { class: 'probs' });
  const predCard = el('div', { class: 'card', testid: 'prediction', 'aria-live': 'polite' }, el('h2', { i18n: 'inspect.predictions' }), top1, probCols, el('p', { class: 'caption', i18n: 'inspect.pred.caption' }));

  // ---- model choice for the detailed views
  const modelSel = el('div', { class: 'seg', role: 'radiogroup' });
  modelSel.dataset.i18nAria = 'inspect.model';
  const modelBtns = {};
  for (const k of KINDS) {
    const b = el('button', { type: 'button', role: 'radio', text: k });
    b.addEventListener('click', () => { model = k; services.url.set({ model: k }); renderModelBtns(); render(); });
    modelBtns[k] = b; modelSel.append(b);
  }

  // ---- Grad-CAM
  const clsSel = el('select', { id: 'gradcam-class' });
  const blockSel = el('select', { id: 'gradcam-block' });
  const opacity = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '0.6', id: 'gradcam-opacity' });
  // one canvas per model, side by side: does SE change where the network looks?
  const pair = (testid) => {
    const canvases = {}, caps = {};
    const box = el('div', { class: 'pair' });
    for (const k of KINDS) {
      canvases[k] = el('canvas', { class: 'heat', width: '224', height: '224', role: 'img' });
      if (k === 'CNN_SE' && testid) canvases[k].dataset.testid = testid;
      caps[k] = el('figcaption', { text: k });
      box.append(el('figure', {}, canvases[k], caps[k]));
    }
    return { box, canvases, caps };
  };
  const heat = pair('heatmap');
  const heatBar = el('canvas', { class: 'colorbar' });
  const heatMsg = el('p', { class: 'caption' });
  const camCard = el('div', { class: 'card' }, el('h2', { i18n: 'inspect.gradcam' }),
    el('div', { class: 'row' }, ctl('inspect.class', clsSel), ctl('inspect.block', blockSel), ctl('inspect.opacity', opacity)),
    el('div', { class: 'heat-wrap' }, heat.box, el('div', { class: 'heat-text' }, heatBar, heatMsg, el('p', { class: 'caption', i18n: 'inspect.gradcam.caption' }))));

  // ---- channel mean
  const mean = pair('channel-mean');
  const meanBar = el('canvas', { class: 'colorbar' });
  const meanCard = el('div', { class: 'card' }, el('h2', { i18n: 'inspect.mean' }),
    el('div', { class: 'heat-wrap' }, mean.box, el('div', { class: 'heat-text' }, meanBar, el('p', { class: 'caption', i18n: 'inspect.mean.caption' }))));

  // ---- feature maps
  const fmBlock = el('select', { id: 'fm-block' });
  const fmStage = el('select', { id: 'fm-stage' });
  const fmGrid = el('div');
  const fmCard = el('div', { class: 'card', testid: 'feature-maps' }, el('h2', { i18n: 'inspect.fm' }),
    el('div', { class: 'row' }, el('span', { class: 'ctl' }, el('span', { i18n: 'inspect.model' }), modelSel), ctl('inspect.block', fmBlock), ctl('inspect.stage', fmStage)),
    el('p', { class: 'caption', i18n: 'inspect.fm.caption' }), fmGrid);

  // ---- SE weights
  const seBlock = el('select', { id: 'se-block' });
  const se = seWeightsCard(t, ctl('inspect.block', seBlock));
  const seCard = se.card;

  const left = el('div', {}, pickCard, seenCard), right = el('div', {}, predCard, camCard, meanCard);
  const cols = el('div', { class: 'cols' }, left, right);
  root.append(cols, fmCard, seCard);

  // ?embed=1&view=gradcam,pred: only those parts (a lesson embeds exactly what it talks about)
  const parts = { pick: pickCard, seen: seenCard, pred: predCard, gradcam: camCard, mean: meanCard, fm: fmCard, se: seCard };
  for (const [k, card] of Object.entries(parts)) card.dataset.view = k;
  const only = viewParts(services.url.get('view'), Object.keys(parts));
  if (services.page.embed && only.length) {
    for (const [k, card] of Object.entries(parts)) card.hidden = !only.includes(k);
    left.hidden = !only.some((v) => LEFT_PARTS.includes(v));
    right.hidden = !only.some((v) => RIGHT_PARTS.includes(v));
    if (left.hidden || right.hidden) cols.classList.add('single');
  }

  // ---- state
  let { model, cls, block } = initialState(services.url);
  let fmB = 0, seB = block, stage = 'se';   // feature maps start at block 1 (32x32: still look like the picture)
  let visible = false, dirty = true, renderSeq = 0;

  function fillSelects() {
    const opt = (s, v, text, selected) => { const o = el('option', { value: String(v), text }); if (selected) o.selected = true; s.append(o); };
    // Grad-CAM's class: one of the models' classes (the shorter list if the two differ)
    const lists = services.models.KINDS.map((k) => services.models.classNames(k));
    const names = lists.reduce((a, b) => (b.length < a.length ? b : a));
    if (cls !== null && cls >= names.length) cls = null;
    clsSel.replaceChildren();
    opt(clsSel, '', t('inspect.class.auto'), cls === null);
    names.forEach((name, i) => opt(clsSel, i, name, cls === i));
    for (const [s, v] of [[blockSel, block], [fmBlock, fmB], [seBlock, seB]]) {
      s.replaceChildren();
      for (let b = 0; b < 3; b++) opt(s, b, t('inspect.block.n', { n: b + 1, s: SIZES[b] }), b === v);
    }
    fmStage.replaceChildren();
    opt(fmStage, 'relu', t('inspect.stage.relu'), stage === 'relu' || model !== 'CNN_SE');
    if (model === 'CNN_SE') opt(fmStage, 'se', t('inspect.stage.se'), stage === 'se');
  }
  function renderModelBtns() {
    for (const k of KINDS) modelBtns[k].setAttribute('aria-checked', String(k === model));   // role=radio: aria-checked, not aria-pressed
    fillSelects();
  }

  clsSel.addEventListener('change', () => { cls = clsSel.value === '' ? null : Number(clsSel.value); services.url.set({ cls }); render(); });
  blockSel.addEventListener('change', () => { block = Number(blockSel.value); services.url.set({ block }); render(); });
  fmBlock.addEventListener('change', () => { fmB = Number(fmBlock.value); render(); });
  fmStage.addEventListener('change', () => { stage = fmStage.value; render(); });
  seBlock.addEventListener('change', () => { seB = Number(seBlock.value); render(); });
  opacity.addEventListener('input', () => drawHeat());

  // ---- rendering
  function renderSeen() {
    const img = services.image.current();
    origBox.replaceChildren();
    if (!img) { seenNote.textContent = t('inspect.noImage'); return; }
    const oc = img.canvas;
    oc.classList.add('orig');
    if (img.source === 'gallery') oc.classList.add('pixelated');
    origBox.append(oc, origCap);
    const g = netC.getContext('2d');
    const small = chwToCanvas(img.bytes);
    g.drawImage(small, 0, 0);
    seenNote.textContent = img.note;
    truth.textContent = img.label !== null && img.label !== undefined ? t('inspect.truth', { c: services.i18n.className(img.label) }) : '';
    picker.markCurrent(img);
  }

  function renderProbs(results) {
    probCols.replaceChildren();
    const tops = [];
    for (const r of results) {
      const col = el('div');
      col.append(el('h3', { text: r.kind }));
      const names = services.models.classNames(r.kind);   // the model's own classes
      for (let i = 0; i < r.probs.length; i++) {
        const row = el('div', { class: 'bar-row' + (i === r.top1 ? ' top' : '') });
        const fill = el('div', { class: `fill ${r.kind.toLowerCase()}` });
        fill.style.width = `${(r.probs[i] * 100).toFixed(1)}%`;
        row.append(el('span', { text: names[i] ?? String(i) }), el('div', { class: 'track' }, fill), el('span', { class: 'num', text: pct(r.probs[i]) }));
        col.append(row);
      }
      probCols.append(col);
      tops.push(t('inspect.top1', { m: r.kind, c: names[r.top1] ?? String(r.top1), p: pct(r.probs[r.top1]) }));
    }
    top1.textContent = tops.join(' · ');
  }

  let camData = null;   // { CNN: gradcam, CNN_SE: gradcam }
  function drawHeat() {
    if (!services.image.current()) return;
    const base = chwToCanvas(services.image.current().bytes);
    let zero = [];
    for (const k of KINDS) {
      const c = heat.canvases[k], g = c.getContext('2d'), S = c.width;
      g.imageSmoothingEnabled = true;
      g.clearRect(0, 0, S, S);
      g.drawImage(base, 0, 0, S, S);
      const d = camData && camData[k];
      if (!d) continue;
      const { max } = range(d.cam);
      if (!(max > 0)) zero.push(k);
      const small = document.createElement('canvas');
      drawMap(small, d.cam, d.H, d.W, { min: 0, max: max > 0 ? max : 1, map: 'inferno' });
      g.globalAlpha = Number(opacity.value);
      g.drawImage(small, 0, 0, S, S);
      g.globalAlpha = 1;
      const cn = services.models.classNames(k)[d.cls] ?? String(d.cls);
      heat.caps[k].textContent = `${k}: ${cn}`;
      c.setAttribute('aria-label', `${t('inspect.gradcam')}, ${k}: ${cn}`);
    }
    heatMsg.textContent = zero.length ? t('inspect.gradcam.zero', { m: zero.join(', ') }) : '';
    drawColorbar(heatBar, { min: 0, max: 1, map: 'inferno', label: t('inspect.gradcam.scale') });
  }

  function drawMean(results) {
    for (const r of results) {
      const b = r.blocks[block], c = mean.canvases[r.kind], g = c.getContext('2d'), S = c.width;
      g.clearRect(0, 0, S, S);
      if (!b.mean) continue;
      const { min, max } = range(b.mean.data);
      const small = document.createElement('canvas');
      drawMap(small, b.mean.data, b.mean.H, b.mean.W, { min, max: max > min ? max : min + 1, map: 'inferno' });
      g.imageSmoothingEnabled = false;
      g.drawImage(small, 0, 0, S, S);
      mean.caps[r.kind].textContent = `${r.kind} · ${formatValue(min)} … ${formatValue(max)}`;
      c.setAttribute('aria-label', `${t('inspect.mean')}, ${r.kind}`);
    }
    drawColorbar(meanBar, { min: 0, max: 1, map: 'inferno', label: t('inspect.mean.scale') });
  }


  async function render() {
    if (!visible) { dirty = true; return; }
    dirty = false;
    const seq = ++renderSeq;
    renderSeen();
    if (!services.image.current() || !services.models.get('CNN')) {
      top1.textContent = !services.models.get('CNN') ? t('app.backend.loading') : t('inspect.noImage');
      return;
    }
    try {
      const results = [];
      for (const k of KINDS) results.push(await services.models.inspect(k, { cls: cls ?? undefined, block }));
      if (seq !== renderSeq) return;
      renderProbs(results);
      camData = Object.fromEntries(results.map((r) => [r.kind, r.gradcam]));
      drawHeat();
      drawMean(results);
      const main = results[KINDS.indexOf(model)];
      const fb = main.blocks[fmB];
      const useSE = model === 'CNN_SE' && stage === 'se' && fb.se;
      const { min, max } = activationScale(fb.relu);   // one scale for all channels, both stages
      featureGrid(fmGrid, { t, data: useSE ? fb.se : fb.relu, C: fb.C, H: fb.H, W: fb.W, min, max, clipped: true, label: t('fm.activation') });
      fmCard.dataset.drawn = String(fb.C);
      se.draw(results[KINDS.indexOf('CNN_SE')].blocks[seB]);
      root.dataset.rendered = String(services.image.current().version);
    } catch (e) {
      services.errors.show(e);
    }
  }

  renderModelBtns();
  const instance = {
    update(what) {
      if (what === 'shown') { visible = true; if (!picker.loaded()) picker.renderGallery(); if (dirty) render(); }
      else if (what === 'lang-changed') { fillSelects(); picker.renderGallery(); dirty = true; if (visible) render(); }
      else if (what === 'data-changed') { fillSelects(); picker.renderGallery(); dirty = true; if (visible) render(); }
      else if (what === 'models-changed') { fillSelects(); dirty = true; render(); }
      else if (what === 'image-changed') { dirty = true; render(); }
    },
  };
  services.events.addEventListener('panel-shown', (e) => { visible = e.detail.id === 'inspect'; });
  services.events.addEventListener('ready', () => { dirty = true; render(); });
  return instance;
}

export default { id: 'inspect', title: { en: 'Inspect', zh: '观察' }, views: inspectViews, mount };
