// inspect.mjs - the Inspect panel: pick an image (test gallery, upload, drag and drop, paste,
// camera), see the 32x32 input, both models' probabilities, Grad-CAM, the class-agnostic
// channel-mean map, feature maps per block and the SE channel weights of CNN_SE.

import { drawMap, drawColorbar, range, quantile, formatValue } from '../colormap.mjs';
import { chwToCanvas } from '../images.mjs';
import { COLORS } from '../charts.mjs';
import { el } from '../dom.mjs';
import { featureGrid } from '../featuregrid.mjs';

const KINDS = ['CNN', 'CNN_SE'];
const PER_CLASS = 3;

const strings = {
  en: {
    'inspect.pick': 'Pick an image',
    'inspect.gallery': 'CIFAR-10 test images (true class below each)',
    'inspect.more': 'Other test images',
    'inspect.upload': 'Upload a photo…',
    'inspect.drop': 'or drop a picture here, or paste one (Ctrl+V)',
    'inspect.camera': 'Use the camera',
    'inspect.snap': 'Take the photo',
    'inspect.cancel': 'Cancel',
    'inspect.noData': 'The test images are not available: {msg}',
    'inspect.seen': 'What the network sees',
    'inspect.original': 'original',
    'inspect.input': 'network input, 32×32',
    'inspect.truth': 'true class: {c}',
    'inspect.predictions': 'Predictions',
    'inspect.pred.caption': 'The probability each model gives to each of the 10 classes (softmax of its outputs). The top class is in bold.',
    'inspect.top1': '{m}: {c} ({p})',
    'inspect.model': 'Model',
    'inspect.gradcam': 'Grad-CAM: which pixels support a class',
    'inspect.gradcam.caption': 'Bright areas are where the block’s feature maps push the score of the chosen class up (Grad-CAM: feature maps weighted by the gradient of that class score, negatives set to 0). Coarse because the block is small; it depends on the class you pick.',
    'inspect.class': 'Class',
    'inspect.class.auto': 'each model’s top class',
    'inspect.block': 'Block',
    'inspect.block.n': 'block {n} ({s}×{s})',
    'inspect.opacity': 'Heat-map opacity',
    'inspect.gradcam.scale': '0 → each map’s maximum',
    'inspect.gradcam.zero': '{m}: Grad-CAM is zero everywhere for this class: nothing in the image pushes its score up.',
    'inspect.mean': 'Channel-mean map (not class-specific)',
    'inspect.mean.caption': 'The average of all channels of the block after ReLU (after SE for CNN_SE). It shows where the block is active in general — the same map whatever the class, so it is not an explanation of the prediction.',
    'inspect.mean.scale': 'each map’s min → max',
    'inspect.fm': 'Feature maps',
    'inspect.fm.caption': 'Each square is one channel of the chosen block, brighter = larger activation, all on one colour scale. Click a channel to enlarge it. For CNN_SE compare “after ReLU” with “after SE”: the SE block multiplies each channel by its weight s.',
    'inspect.stage': 'Stage',
    'inspect.stage.relu': 'after ReLU',
    'inspect.stage.se': 'after SE scaling',
    'inspect.se': 'SE channel weights (CNN_SE)',
    'inspect.se.caption': 'The SE block looks at the whole image, then gives every channel a weight s between 0 and 1 and multiplies the channel by it. Sorted from largest to smallest; the channels it keeps most and damps most are shown beside, after scaling, on one colour scale.',
    'inspect.se.axis': 'channels, sorted by s',
    'inspect.se.top': 'kept most (largest s)',
    'inspect.se.bottom': 'damped most (smallest s)',
    'inspect.se.ch': 'ch {c}, s={s}',
    'inspect.se.stats': 's from {min} to {max}, mean {mean}',
    'inspect.noImage': 'Pick an image.',
  },
  zh: {
    'inspect.pick': '选择图片',
    'inspect.gallery': 'CIFAR-10 测试图片（下方是真实类别）',
    'inspect.more': '换一批测试图片',
    'inspect.upload': '上传照片…',
    'inspect.drop': '或把图片拖到这里，或粘贴（Ctrl+V）',
    'inspect.camera': '使用摄像头',
    'inspect.snap': '拍照',
    'inspect.cancel': '取消',
    'inspect.noData': '测试图片不可用：{msg}',
    'inspect.seen': '网络看到的图像',
    'inspect.original': '原图',
    'inspect.input': '网络输入，32×32',
    'inspect.truth': '真实类别：{c}',
    'inspect.predictions': '预测',
    'inspect.pred.caption': '每个模型对 10 个类别给出的概率（输出的 softmax）。概率最高的类别用粗体表示。',
    'inspect.top1': '{m}：{c}（{p}）',
    'inspect.model': '模型',
    'inspect.gradcam': 'Grad-CAM：哪些像素支持某个类别',
    'inspect.gradcam.caption': '亮的区域表示该模块的特征图在这里提高了所选类别的得分（Grad-CAM：用该类别得分的梯度给特征图加权，负值置 0）。因为模块的分辨率低，所以比较粗糙；结果取决于你选择的类别。',
    'inspect.class': '类别',
    'inspect.class.auto': '各模型预测的类别',
    'inspect.block': '模块',
    'inspect.block.n': '第 {n} 个模块（{s}×{s}）',
    'inspect.opacity': '热力图不透明度',
    'inspect.gradcam.scale': '0 → 各图最大值',
    'inspect.gradcam.zero': '{m}：对这个类别，Grad-CAM 处处为零：图像中没有任何部分提高它的得分。',
    'inspect.mean': '通道平均图（与类别无关）',
    'inspect.mean.caption': '该模块 ReLU 之后（CNN_SE 为 SE 之后）所有通道的平均值。它显示模块整体上在哪里被激活——无论哪个类别都是同一张图，所以它并不能解释预测结果。',
    'inspect.mean.scale': '各图最小值 → 最大值',
    'inspect.fm': '特征图',
    'inspect.fm.caption': '每个小方块是所选模块的一个通道，越亮表示激活越大，所有通道使用同一色标。点击通道可放大。对于 CNN_SE，比较“ReLU 之后”和“SE 之后”：SE 模块把每个通道乘以它的权重 s。',
    'inspect.stage': '阶段',
    'inspect.stage.relu': 'ReLU 之后',
    'inspect.stage.se': 'SE 缩放之后',
    'inspect.se': 'SE 通道权重（CNN_SE）',
    'inspect.se.caption': 'SE 模块先看整幅图像，然后给每个通道一个 0 到 1 之间的权重 s，并把该通道乘以 s。图中按从大到小排序；旁边是保留最多和削弱最多的通道（缩放之后，同一色标）。',
    'inspect.se.axis': '通道，按 s 排序',
    'inspect.se.top': '保留最多（s 最大）',
    'inspect.se.bottom': '削弱最多（s 最小）',
    'inspect.se.ch': '通道 {c}，s={s}',
    'inspect.se.stats': 's 从 {min} 到 {max}，平均 {mean}',
    'inspect.noImage': '请选择一张图片。',
  },
};

// a label with its control, kept together when the row wraps
const ctl = (key, input) => el('label', { class: 'ctl' }, el('span', { i18n: key }), input);
const pct = (p) => `${(p * 100).toFixed(p >= 0.995 ? 0 : 1)}%`;
const SIZES = [32, 16, 8];

function mount(root, services) {
  services.i18n.addStrings(strings);
  const t = services.i18n.t;

  // ---- image picker
  const gallery = el('div', { class: 'gallery', role: 'group' });
  gallery.dataset.i18nAria = 'inspect.gallery';
  const galleryMsg = el('p', { class: 'caption' });
  const moreB = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.more' });
  const upload = el('input', { type: 'file', accept: 'image/*', testid: 'upload-input', id: 'upload-input', class: 'visually-hidden' });
  const uploadL = el('label', { class: 'button', for: 'upload-input' }, el('span', { i18n: 'inspect.upload' }));
  const camB = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.camera' });
  const drop = el('div', { class: 'dropzone' }, el('span', { i18n: 'inspect.drop' }));
  const video = el('video', { playsinline: '', muted: '' });
  const snapB = el('button', { type: 'button', i18n: 'inspect.snap' });
  const camCancel = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.cancel' });
  const cam = el('div', { class: 'webcam' }, video, el('div', { class: 'row' }, snapB, camCancel));
  cam.hidden = true;
  const pickCard = el('div', { class: 'card' }, el('h2', { i18n: 'inspect.pick' }),
    el('p', { class: 'caption', i18n: 'inspect.gallery' }), gallery, galleryMsg,
    el('div', { class: 'row' }, moreB, upload, uploadL, camB), drop, cam);

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
  const seChart = el('canvas', { class: 'se-chart', role: 'img' });
  const seStats = el('p', { class: 'small' });
  const seTop = el('div', { class: 'se-maps' });
  const seBottom = el('div', { class: 'se-maps' });
  const seBar = el('canvas', { class: 'colorbar' });
  const seCard = el('div', { class: 'card', testid: 'se-weights' }, el('h2', { i18n: 'inspect.se' }),
    el('div', { class: 'row' }, ctl('inspect.block', seBlock)),
    el('p', { class: 'caption', i18n: 'inspect.se.caption' }),
    el('div', { class: 'se-wrap' }, el('div', {}, seChart, seStats),
      el('div', {}, el('h3', {}, el('span', { class: 'sw se-top' }), el('span', { i18n: 'inspect.se.top' })), seTop, el('h3', {}, el('span', { class: 'sw se-bottom' }), el('span', { i18n: 'inspect.se.bottom' })), seBottom, seBar)));

  const left = el('div', {}, pickCard, seenCard), right = el('div', {}, predCard, camCard, meanCard);
  const cols = el('div', { class: 'cols' }, left, right);
  root.append(cols, fmCard, seCard);

  // ?embed=1&view=gradcam,pred: only those parts (a lesson embeds exactly what it talks about)
  const parts = { pick: pickCard, seen: seenCard, pred: predCard, gradcam: camCard, mean: meanCard, fm: fmCard, se: seCard };
  for (const [k, card] of Object.entries(parts)) card.dataset.view = k;
  const only = (services.url.get('view') || '').split(',').filter((v) => v in parts);
  if (services.page.embed && only.length) {
    for (const [k, card] of Object.entries(parts)) card.hidden = !only.includes(k);
    left.hidden = !only.some((v) => v === 'pick' || v === 'seen');
    right.hidden = !only.some((v) => v === 'pred' || v === 'gradcam' || v === 'mean');
    if (left.hidden || right.hidden) cols.classList.add('single');
  }

  // ---- state
  let model = KINDS.includes(services.url.get('model')) ? services.url.get('model') : 'CNN_SE';
  let cls = services.url.getInt('cls', null);
  if (cls !== null && (cls < 0 || cls > 9)) cls = null;
  let block = services.url.getInt('block', 2);
  if (block < 0 || block > 2) block = 2;
  let fmB = 0, seB = block, stage = 'se';   // feature maps start at block 1 (32x32: still look like the picture)
  let page = 0;
  let visible = false, dirty = true, renderSeq = 0;

  function fillSelects() {
    const opt = (s, v, text, selected) => { const o = el('option', { value: String(v), text }); if (selected) o.selected = true; s.append(o); };
    clsSel.replaceChildren();
    opt(clsSel, '', t('inspect.class.auto'), cls === null);
    for (let i = 0; i < 10; i++) opt(clsSel, i, services.i18n.className(i), cls === i);
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

  // ---- gallery
  let testSet = null;
  async function renderGallery() {
    try {
      testSet = await services.data.testSet(1000);
    } catch (e) {
      gallery.replaceChildren();
      galleryMsg.textContent = t('inspect.noData', { msg: e.message });
      return;
    }
    galleryMsg.textContent = '';
    const byClass = Array.from({ length: 10 }, () => []);
    for (let i = 0; i < testSet.n; i++) byClass[testSet.labels[i]].push(i);
    const pages = Math.max(1, Math.floor(Math.min(...byClass.map((a) => a.length)) / PER_CLASS));
    const p = page % pages;
    gallery.replaceChildren();
    for (let c = 0; c < 10; c++) {
      for (let j = 0; j < PER_CLASS; j++) {
        const idx = byClass[c][p * PER_CLASS + j];
        if (idx === undefined) continue;
        const b = el('button', { type: 'button' });
        b.dataset.index = String(idx);
        const cv = chwToCanvas(testSet.images, idx * 3072);
        cv.className = 'pixelated';
        const name = services.i18n.className(c);
        b.setAttribute('aria-label', `${name}, #${idx}`);
        b.title = `${name} (#${idx})`;
        b.append(cv, el('span', { text: name }));
        b.setAttribute('aria-pressed', String(services.image.current() && services.image.current().index === idx));
        b.addEventListener('click', () => services.image.set({ index: idx }).catch((e) => services.errors.show(e)));
        gallery.append(b);
      }
    }
    roving();
  }
  // the gallery is one tab stop; arrow keys move between pictures, Enter/Space picks one
  function roving() {
    const bs = [...gallery.children];
    const cur = Math.max(0, bs.findIndex((b) => b.getAttribute('aria-pressed') === 'true'));
    bs.forEach((b, i) => { b.tabIndex = i === cur ? 0 : -1; });
  }
  gallery.addEventListener('keydown', (e) => {
    const bs = [...gallery.children];
    const i = bs.indexOf(document.activeElement);
    if (i < 0) return;
    const cols = Math.max(1, Math.round(gallery.clientWidth / (bs[0].offsetWidth || 50)));
    const d = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -bs.length, End: bs.length }[e.key];
    if (d === undefined) return;
    e.preventDefault();
    const j = Math.max(0, Math.min(bs.length - 1, i + d));
    bs.forEach((b, k) => { b.tabIndex = k === j ? 0 : -1; });
    bs[j].focus();
  });
  moreB.addEventListener('click', () => { page++; renderGallery(); });

  // ---- upload, drop, camera
  upload.addEventListener('change', () => {
    const f = upload.files && upload.files[0];
    upload.value = '';
    if (f) services.image.set({ file: f, source: 'upload' }).catch(() => {});
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) services.image.set({ file: f, source: 'upload' }).catch(() => {});
  });
  let stream = null;
  const stopCam = () => { if (stream) for (const tr of stream.getTracks()) tr.stop(); stream = null; video.srcObject = null; cam.hidden = true; };
  camB.addEventListener('click', async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('not supported by this browser');
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream; cam.hidden = false; await video.play(); snapB.focus();
    } catch (e) { stopCam(); services.errors.show(t('img.err.webcam', { msg: e.message || e.name })); }
  });
  snapB.addEventListener('click', () => {
    const c = document.createElement('canvas');
    c.width = video.videoWidth; c.height = video.videoHeight;
    c.getContext('2d').drawImage(video, 0, 0);
    stopCam();
    services.image.set({ canvas: c, source: 'webcam', name: 'camera' }).catch(() => {});
  });
  camCancel.addEventListener('click', stopCam);

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
    for (const b of gallery.children) b.setAttribute('aria-pressed', String(img.index !== null && b.dataset.index === String(img.index)));
    if (!gallery.contains(document.activeElement)) roving();
  }

  function renderProbs(results) {
    probCols.replaceChildren();
    const tops = [];
    for (const r of results) {
      const col = el('div');
      col.append(el('h3', { text: r.kind }));
      for (let i = 0; i < 10; i++) {
        const row = el('div', { class: 'bar-row' + (i === r.top1 ? ' top' : '') });
        const fill = el('div', { class: `fill ${r.kind.toLowerCase()}` });
        fill.style.width = `${(r.probs[i] * 100).toFixed(1)}%`;
        row.append(el('span', { text: services.i18n.className(i) }), el('div', { class: 'track' }, fill), el('span', { class: 'num', text: pct(r.probs[i]) }));
        col.append(row);
      }
      probCols.append(col);
      tops.push(t('inspect.top1', { m: r.kind, c: services.i18n.className(r.top1), p: pct(r.probs[r.top1]) }));
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
      heat.caps[k].textContent = `${k}: ${services.i18n.className(d.cls)}`;
      c.setAttribute('aria-label', `${t('inspect.gradcam')}, ${k}: ${services.i18n.className(d.cls)}`);
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

  function drawSE(b) {
    const sv = b.seView;
    const C = sv.C, s = sv.s;
    const order = Array.from({ length: C }, (_, i) => i).sort((a, c) => s[c] - s[a]);
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(200, seChart.clientWidth || 300) * dpr, h = 200 * dpr;
    seChart.width = w; seChart.height = h;
    const g = seChart.getContext('2d');
    const fg = getComputedStyle(document.documentElement).getPropertyValue('--fg') || '#222';
    g.clearRect(0, 0, w, h);
    const L = 46 * dpr, B = 22 * dpr, T = 8 * dpr, R = 6 * dpr;
    const pw = w - L - R, ph = h - T - B;
    g.font = `${11 * dpr}px system-ui, sans-serif`;
    g.fillStyle = fg; g.strokeStyle = '#ccc'; g.lineWidth = 1;
    for (const v of [0, 0.5, 1]) {
      const y = T + ph * (1 - v);
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
      g.textAlign = 'right'; g.textBaseline = 'middle'; g.fillText(v.toFixed(1), L - 4 * dpr, y);
    }
    const bw = pw / C;
    order.forEach((c, r) => {
      const top = r < 4, bottom = r >= C - 4;
      g.fillStyle = top ? '#1b7837' : bottom ? '#762a83' : COLORS.CNN_SE;
      const bh = ph * s[c];
      g.fillRect(L + r * bw + bw * 0.1, T + ph - bh, Math.max(1, bw * 0.8), bh);
    });
    g.fillStyle = fg; g.textAlign = 'center'; g.textBaseline = 'top';
    g.fillText(t('inspect.se.axis'), L + pw / 2, T + ph + 5 * dpr);
    g.save(); g.translate(9 * dpr, T + ph / 2); g.rotate(-Math.PI / 2); g.textBaseline = 'middle'; g.fillText('s', 0, 0); g.restore();
    let sum = 0; for (let i = 0; i < C; i++) sum += s[i];
    seStats.textContent = t('inspect.se.stats', { min: s[order[C - 1]].toFixed(3), max: s[order[0]].toFixed(3), mean: (sum / C).toFixed(3) });
    seChart.setAttribute('aria-label', `${t('inspect.se')}: ${seStats.textContent}`);
    // maps of the extreme channels, after scaling, on one scale
    const data = b.se, HW = b.H * b.W;
    const { min } = range(b.relu);
    const max = Math.max(quantile(b.relu, 0.99), min + 1e-6);
    const fill = (box, chans) => {
      box.replaceChildren();
      for (const c of chans) {
        const cv = el('canvas', { class: 'pixelated', role: 'img' });
        drawMap(cv, data, b.H, b.W, { min, max, offset: c * HW });
        const cap = t('inspect.se.ch', { c, s: s[c].toFixed(2) });
        cv.setAttribute('aria-label', cap);
        box.append(el('figure', {}, cv, el('figcaption', { text: cap })));
      }
    };
    fill(seTop, order.slice(0, 4));
    fill(seBottom, order.slice(-4).reverse());
    drawColorbar(seBar, { min, max, map: 'viridis', label: t('fm.activation'), clipped: true });
    seCard.dataset.drawn = String(C);
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
      // one scale for all channels and for both stages (SE only scales down), topped at the
      // 99th percentile so a single bright channel does not leave the others black
      const { min } = range(fb.relu);
      const max = Math.max(quantile(fb.relu, 0.99), min + 1e-6);
      featureGrid(fmGrid, { t, data: useSE ? fb.se : fb.relu, C: fb.C, H: fb.H, W: fb.W, min, max, clipped: true, label: t('fm.activation') });
      fmCard.dataset.drawn = String(fb.C);
      drawSE(results[KINDS.indexOf('CNN_SE')].blocks[seB]);
      root.dataset.rendered = String(services.image.current().version);
    } catch (e) {
      services.errors.show(e);
    }
  }

  renderModelBtns();
  const instance = {
    update(what) {
      if (what === 'shown') { visible = true; if (!testSet) renderGallery(); if (dirty) render(); }
      else if (what === 'lang-changed') { fillSelects(); renderGallery(); dirty = true; if (visible) render(); }
      else if (what === 'data-changed') { renderGallery(); }
      else if (what === 'image-changed' || what === 'models-changed') { dirty = true; render(); }
    },
  };
  services.events.addEventListener('panel-shown', (e) => { visible = e.detail.id === 'inspect'; });
  services.events.addEventListener('ready', () => { dirty = true; render(); });
  return instance;
}

// Parts that ?view= can pick in an embedded view (the embed dialog lists them).
const views = {
  pick: { en: 'image picker', zh: '选择图片' },
  seen: { en: 'what the network sees', zh: '网络看到的图像' },
  pred: { en: 'predictions', zh: '预测' },
  gradcam: { en: 'Grad-CAM', zh: 'Grad-CAM' },
  mean: { en: 'channel-mean map', zh: '通道平均图' },
  fm: { en: 'feature maps', zh: '特征图' },
  se: { en: 'SE channel weights', zh: 'SE 通道权重' },
};

export default { id: 'inspect', title: { en: 'Inspect', zh: '观察' }, views, mount };
