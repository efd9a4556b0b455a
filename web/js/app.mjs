// app.mjs - the page shell: loads the WebAssembly module (main thread, single-threaded, for
// inspection) and the training worker, owns the two models in use, the current image, the
// dataset source, the URL state, the language and the error region, and mounts the panels
// listed in panels/index.mjs with the ctx described in panels/README.md.

import * as i18n from './i18n.mjs';
import * as urlState from './url-state.mjs';
import * as colormap from './colormap.mjs';
import * as charts from './charts.mjs';
import * as images from './images.mjs';
import { featureGrid, strings as fgStrings } from './featuregrid.mjs';
import { panels, modes } from './panels/index.mjs';
import * as dataSets from './data-sets.mjs';
import * as embed from './embed.mjs';

const WASM = new URL('../../wasm/', import.meta.url);
const WEIGHTS = new URL('../../weights/', import.meta.url);
const KINDS = ['CNN', 'CNN_SE'];
const $ = (id) => document.getElementById(id);

i18n.addStrings(images.strings);
i18n.addStrings(fgStrings);

const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));
// Every change of the URL state (by the app or a panel) is announced as 'state-changed'.
urlState.onChange((changes) => emit('state-changed', { changes }));

const ctx = {
  excite: null, build: null, models: {}, modelInfo: {}, image: null, classes: i18n.CLASS_NAMES.en,
  embed: urlState.get('embed') === '1',
  events, colormap, charts, images, urlState,
  t: i18n.t, addStrings: i18n.addStrings, className: (i) => i18n.className(i),
  get lang() { return i18n.getLang(); },
  state: { get: urlState.get, getInt: urlState.getInt, set: (o) => urlState.set(o) },
  featureGrid: (el, opts) => featureGrid(el, { t: i18n.t, ...opts }),
  trainWorker: null, workerInfo: null, modelVersion: 0,
  data: { source: null, id: null, name: null, train: 0, test: 0 },   // the CIFAR-10 in use (data-sets.mjs)
};

// ---- errors and notices --------------------------------------------------------------
// Both take a string or a translatable { code, vars }; the latter is re-rendered when the
// language changes while it is on screen.
let noticeTimer = 0, lastError = null, lastNotice = null;
const messageText = (e) => typeof e === 'string' ? e
  : (e && e.code && e.vars ? i18n.t(e.code, e.vars) : (e && e.message) || String(e));
ctx.error = (e) => {
  lastError = e;
  $('error-text').textContent = messageText(e);
  $('error').hidden = false;
  if (e instanceof Error && !(e instanceof images.ImageError)) console.warn(e);
};
ctx.clearError = () => { lastError = null; $('error').hidden = true; $('error-text').textContent = ''; };
ctx.notice = (msg) => {
  const n = $('notice');
  lastNotice = msg || null;
  n.textContent = msg ? messageText(msg) : ''; n.hidden = !msg;
  clearTimeout(noticeTimer);
  if (msg) noticeTimer = setTimeout(() => { n.hidden = true; lastNotice = null; }, 6000);
};
function retranslateMessages() {
  if (lastError && !$('error').hidden) $('error-text').textContent = messageText(lastError);
  if (lastNotice && !$('notice').hidden) $('notice').textContent = messageText(lastNotice);
}
$('error-dismiss').addEventListener('click', ctx.clearError);

// ---- language ------------------------------------------------------------------------
function applyLang(l) {
  i18n.setLang(l);
  for (const b of document.querySelectorAll('.lang button[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === i18n.getLang()));
  i18n.translateDom(document);
  document.title = i18n.t('app.title');
  renderTabs();
  renderModelStatus();
  renderBackend();
  renderDataStatus();
  retranslateMessages();
}
ctx.setLang = (l) => {
  applyLang(l);
  urlState.set({ lang: i18n.getLang() === 'en' && !urlState.get('lang') ? null : i18n.getLang() });
  if (ctx.image) ctx.image.note = imageNote(ctx.image);
  emit('lang-changed', { lang: i18n.getLang() });
  notifyPanels('lang-changed');
};
for (const b of document.querySelectorAll('.lang button[data-lang]')) b.addEventListener('click', () => ctx.setLang(b.dataset.lang));

// ---- tabs and panels -----------------------------------------------------------------
const mounted = new Map();   // id -> { panel, section, tab, instance }
let current = null;

function renderTabs() {
  for (const { panel, tab } of mounted.values()) tab.textContent = panel.title[i18n.getLang()] || panel.title.en;
}
ctx.showPanel = (id, { focus = false } = {}) => {
  if (!mounted.has(id)) id = panels[0].id;
  current = id;
  for (const [pid, m] of mounted) {
    const on = pid === id;
    m.section.hidden = !on;
    m.tab.setAttribute('aria-selected', String(on));
    m.tab.tabIndex = on ? 0 : -1;
  }
  urlState.set({ panel: id === panels[0].id && !urlState.get('panel') ? null : id });
  if (focus) mounted.get(id).tab.focus();
  emit('panel-shown', { id });
  const m = mounted.get(id);
  callUpdate(m, 'shown');
};
function callUpdate(m, what) {
  try {
    if (m.instance && typeof m.instance.update === 'function') m.instance.update(what);
    else if (typeof m.panel.update === 'function') m.panel.update(what);
  } catch (e) { ctx.error(e); }
}
function notifyPanels(what) { for (const m of mounted.values()) callUpdate(m, what); }

ctx.mountPanel = (id, element) => {
  const p = panels.find((x) => x.id === id);
  if (!p) throw new Error(`no panel ${id}`);
  return p.mount(element, ctx);
};

async function mountPanels() {
  const nav = $('tabs'), main = $('panels');
  for (const p of panels) {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.id = `tab-${p.id}`;
    tab.setAttribute('aria-controls', `panel-${p.id}`);
    tab.textContent = p.title.en;
    tab.addEventListener('click', () => ctx.showPanel(p.id));
    nav.append(tab);
    const section = document.createElement('section');
    section.className = 'panel';
    section.id = `panel-${p.id}`;
    section.setAttribute('role', 'tabpanel');
    section.setAttribute('aria-labelledby', tab.id);
    section.hidden = true;
    const el = document.createElement('div');
    section.append(el);
    main.append(section);
    const m = { panel: p, section, tab, instance: null };
    mounted.set(p.id, m);
  }
  nav.addEventListener('keydown', (e) => {
    const ids = [...mounted.keys()];
    const i = ids.indexOf(current);
    if (e.key === 'ArrowRight') ctx.showPanel(ids[(i + 1) % ids.length], { focus: true });
    else if (e.key === 'ArrowLeft') ctx.showPanel(ids[(i + ids.length - 1) % ids.length], { focus: true });
    else if (e.key === 'Home') ctx.showPanel(ids[0], { focus: true });
    else if (e.key === 'End') ctx.showPanel(ids[ids.length - 1], { focus: true });
    else return;
    e.preventDefault();
  });
  for (const m of mounted.values()) {
    try { m.instance = (await m.panel.mount(m.section.firstChild, ctx)) || null; }
    catch (e) { ctx.error(e); }
  }
}

// ---- backend -------------------------------------------------------------------------
function renderBackend() {
  const el = $('backend');
  if (!ctx.excite && !ctx.workerInfo) { el.textContent = ctx.backendFailed ? i18n.t('app.backend.failed') : i18n.t('app.backend.loading'); return; }
  const parts = [];
  if (ctx.workerInfo) parts.push(i18n.t('app.backend.train', { build: ctx.workerInfo.build, threads: ctx.workerInfo.threads }));
  if (ctx.excite) parts.push(i18n.t('app.backend.inspect', { build: ctx.excite.build }));
  el.textContent = parts.join(' · ');
  el.title = ctx.excite ? `kernel ${ctx.excite.kernel}` : '';
}

async function loadBackend() {
  const mod = await import(new URL('excite.mjs', WASM).href);
  ctx.exciteModule = mod;
  const ex = await mod.loadExcite({ threads: false });
  ctx.excite = ex;
  ctx.build = ex.build;
  if (mod.CLASSES) ctx.classes = mod.CLASSES;
  const seed = urlState.getInt('seed', 42);
  for (const k of KINDS) {
    ctx.models[k] = ex.createModel(k, { seed, maxBatch: 1 });
    ctx.modelInfo[k] = { source: 'random' };
  }
  renderBackend();
}

// The training worker, with the best build it can load. If the threaded build does not
// come up within WORKER_TIMEOUT (a browser that cannot start the thread pool), the worker is
// replaced by one with the single-threaded SIMD build.
const WORKER_TIMEOUT = 45000;
function startWorker(build = 'auto') {
  return new Promise((resolve) => {
    let w, done = false;
    try { w = new Worker(new URL('worker.mjs', WASM), { type: 'module' }); }
    catch (e) { ctx.error(e); resolve(null); return; }
    ctx.trainWorker = w;
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      w.terminate();
      console.warn(`training worker (${build}) did not start in ${WORKER_TIMEOUT / 1000} s`);
      if (build === 'auto') startWorker('simd').then(resolve); else { ctx.error({ code: 'app.backend.failed', vars: {} }); resolve(null); }
    }, WORKER_TIMEOUT);
    const onMsg = (ev) => {
      const d = ev.data || {};
      if (d.type === 'ready') {
        ctx.workerInfo = { build: d.build, threads: d.threads, kernel: d.kernel };
        renderBackend();
        w.removeEventListener('message', onMsg);
        finish(w);
      } else if (d.type === 'error' && !done) {
        ctx.error(d.message);
      }
    };
    w.addEventListener('message', onMsg);
    w.addEventListener('error', (e) => { ctx.error(e.message || 'training worker failed to start'); finish(null); });
    w.postMessage({ type: 'init', build });
  });
}

// ---- models --------------------------------------------------------------------------
function renderModelStatus() {
  const el = $('model-status');
  el.replaceChildren();
  const title = document.createElement('strong');
  title.textContent = i18n.t('app.models') + ':';
  el.append(title);
  for (const k of KINDS) {
    const s = document.createElement('span');
    const sw = document.createElement('span');
    sw.className = `swatch ${k.toLowerCase()}`;
    const info = ctx.modelInfo[k];
    let what = '…';
    if (info) what = info.source === 'file' ? i18n.t('app.model.file', { name: info.name }) : i18n.t(`app.model.${info.source}`);
    s.append(sw, document.createTextNode(`${k}: ${what}`));
    el.append(s);
  }
}

function modelsChanged(kinds) {
  ctx.modelVersion++;
  inspectCache.clear();
  renderModelStatus();
  emit('models-changed', { kinds });
  notifyPanels('models-changed');
}

// Load safetensors bytes into the main-thread model of that kind (throws, model untouched).
ctx.setWeights = (kind, bytes, info) => {
  ctx.models[kind].loadSafetensors(bytes);
  ctx.modelInfo[kind] = info;
  modelsChanged([kind]);
};
ctx.getWeights = (kind, half = false) => ctx.models[kind].saveSafetensors({ half });

// Which model a safetensors file is for: the header names ca1.* tensors only for CNN_SE.
function guessKind(bytes) {
  if (bytes.length < 8) return 'CNN';
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8 || n > 1e7) return 'CNN';
  const head = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return /"ca\d\./.test(head) ? 'CNN_SE' : 'CNN';
}
ctx.guessKind = guessKind;

async function usePretrained({ quiet = false } = {}) {
  if (!ctx.excite) return false;
  const t0 = performance.now();
  let files;
  try {
    files = await Promise.all([['CNN', 'cnn.safetensors'], ['CNN_SE', 'cnn_se.safetensors']].map(async ([k, f]) => {
      const r = await fetch(new URL(f, WEIGHTS));
      if (!r.ok) throw Object.assign(new Error('missing'), { missing: true });
      return [k, new Uint8Array(await r.arrayBuffer())];
    }));
  } catch (e) {
    if (!quiet) ctx.error(e.missing ? { code: 'app.pretrainedMissing', vars: {} } : e);
    return false;
  }
  // both or neither: if the second file is bad, the first model gets its old weights back
  const backup = ctx.models.CNN.saveSafetensors({ half: false });
  try {
    ctx.models.CNN.loadSafetensors(files[0][1]);
    try { ctx.models.CNN_SE.loadSafetensors(files[1][1]); }
    catch (e) { ctx.models.CNN.loadSafetensors(backup); throw e; }
  } catch (e) {
    ctx.error(e);
    return false;
  }
  for (const k of KINDS) ctx.modelInfo[k] = { source: 'pretrained' };
  const ms = Math.round(performance.now() - t0);
  modelsChanged(KINDS);
  if (!quiet) ctx.notice({ code: 'app.pretrainedLoaded', vars: { ms } });
  ctx.pretrainedMs = ms;
  return true;
}
ctx.usePretrained = usePretrained;
$('use-pretrained').addEventListener('click', () => { ctx.clearError(); usePretrained(); });

$('weights-input').addEventListener('change', async (e) => {
  const input = e.target;
  const file = input.files && input.files[0];
  input.value = '';
  if (!file || !ctx.excite) return;
  try {
    if (file.size === 0) throw new Error(i18n.t('img.err.empty'));
    if (file.size > 200 * 1048576) throw new Error('file too large for a model of this size');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const kind = guessKind(bytes);
    ctx.setWeights(kind, bytes, { source: 'file', name: file.name });
    ctx.clearError();
    ctx.notice({ code: 'app.weightsLoaded', vars: { name: file.name, model: kind } });
  } catch (err) {
    ctx.error({ code: 'app.weightsError', vars: { name: file.name, msg: err.message || String(err) } });
  }
});

// ---- data ----------------------------------------------------------------------------
// The sources: the sets web/data/index.json lists (data-sets.mjs), and an opened archive.
let cifarModule = null;
async function cifar() { return cifarModule || (cifarModule = await import(new URL('cifar.mjs', WASM).href)); }
let sets = null;               // [{ id, base, train, test }] once index.json is read
let testCache = null;          // { id, n, images, labels } of the source in use
let archiveData = null;        // { train, test, name } from the archive the user opened
const setsLoaded = dataSets.listSets().then((s) => { sets = s; chooseData(urlState.get('data'), { initial: true }); return s; });

ctx.dataSet = () => ctx.data.source ? { ...ctx.data, label: dataSets.label(ctx.data, i18n.t, i18n.getLang()) } : null;

function renderDataStatus() {
  const sel = $('data-set');
  sel.replaceChildren();
  const all = [...(sets || []), ...(archiveData ? [{ id: 'archive', name: archiveData.name, train: archiveData.train.n, test: archiveData.test.n }] : [])];
  for (const s of all) {
    const o = document.createElement('option');
    o.value = s.id; o.textContent = dataSets.label(s, i18n.t, i18n.getLang());
    o.selected = s.id === ctx.data.id;
    sel.append(o);
  }
  if (!all.length) { const o = document.createElement('option'); o.textContent = i18n.t(sets ? 'app.data.nothing' : 'app.data.listing'); sel.append(o); }
  sel.disabled = all.length < 2;
}
$('data-set').addEventListener('change', (e) => chooseData(e.target.value));

// Use source id ('demo', 'full', 'archive', ...); unknown ids fall back to the default set.
function chooseData(id, { initial = false } = {}) {
  let src;
  if (id === 'archive' && archiveData) src = { source: 'archive', id: 'archive', name: archiveData.name, train: archiveData.train.n, test: archiveData.test.n };
  else {
    const s = dataSets.pickDefault(sets || [], id);
    src = s ? { source: 'server', ...s, name: null } : { source: null, id: null, name: null, train: 0, test: 0 };
  }
  const changed = src.id !== ctx.data.id;
  ctx.data = src;
  if (changed) testCache = null;
  renderDataStatus();
  // ?data= only when the choice is not the default (an embed then trains on the same set)
  if (!initial) urlState.set({ data: src.source === 'server' && src.id !== sets?.[0]?.id ? src.id : null });
  if (changed) { emit('data-changed', {}); notifyPanels('data-changed'); }
}

// Test images for the gallery and evaluation: at least n, up to what the source holds.
const testLoads = new Map();   // "id|n" -> Promise, so panels asking at once share one download
ctx.testSet = async (n = 1000) => {
  await setsLoaded;
  const src = ctx.data;
  if (!src.source) throw new Error(i18n.t('app.data.needed'));
  n = Math.min(n, src.test);
  if (testCache && testCache.id === src.id && testCache.n >= n) return testCache;
  if (src.source === 'archive') return (testCache = { id: 'archive', ...archiveData.test });
  for (const [k, p] of testLoads) { const [id, m] = k.split('|'); if (id === src.id && Number(m) >= n) return p; }
  const key = `${src.id}|${n}`;
  const p = (async () => {
    const c = await cifar();
    const { test } = await c.loadCifarFromServer({ baseUrl: src.base, trainSize: 0, testSize: n });
    if (ctx.data.id === src.id && (!testCache || testCache.id !== src.id || test.n > testCache.n)) testCache = { id: src.id, ...test };
    return { id: src.id, ...test };
  })();
  testLoads.set(key, p);
  try { return await p; } finally { testLoads.delete(key); }
};
// Training data: { train, test } copies of subsets (the caller may transfer them), or
// { baseUrl } when the worker can fetch from the server itself.
ctx.trainData = async ({ trainSize, testSize }) => {
  await setsLoaded;
  const src = ctx.data;
  if (!src.source) throw new Error(i18n.t('app.data.needed'));
  const why = dataSets.tooBig(src, trainSize, testSize, i18n.t);
  if (why) throw new Error(why);
  if (src.source === 'archive') {
    const cut = (d, n) => ({ n, images: d.images.slice(0, n * 3072), labels: d.labels.slice(0, n) });
    return { train: cut(archiveData.train, trainSize), test: cut(archiveData.test, testSize) };
  }
  return { baseUrl: src.base };
};

$('data-input').addEventListener('change', async (e) => {
  const input = e.target;
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return;
  ctx.notice({ code: 'app.data.loading', vars: {} });
  try {
    const c = await cifar();
    const d = await c.loadCifarFromTarGz(file, { trainSize: 50000, testSize: 10000 });
    archiveData = { train: d.train, test: d.test, name: file.name };
    ctx.clearError();
    ctx.notice('');
    chooseData('archive');
  } catch (err) {
    ctx.notice('');
    ctx.error({ code: 'app.data.error', vars: { name: file.name, msg: err.message || String(err) } });
  }
});

// ---- current image -------------------------------------------------------------------
let imageVersion = 0;
function imageNote(img) {
  if (img.source === 'gallery') return i18n.t('img.note.gallery');
  const c = img.crop;
  if (!c) return '';
  return c.w === c.h ? i18n.t('img.note.square', c) : i18n.t('img.note.crop', c);
}

ctx.setImage = async (spec) => {
  let img;
  if (spec.index !== undefined && spec.index !== null) {
    const ts = await ctx.testSet(Math.max(1000, spec.index + 1));
    const i = Math.max(0, Math.min(ts.n - 1, spec.index | 0));
    const bytes = ts.images.slice(i * 3072, (i + 1) * 3072);
    img = { bytes, source: 'gallery', index: i, label: ts.labels[i], name: `test #${i}`, canvas: images.chwToCanvas(bytes), crop: null };
    urlState.set({ img: i });
  } else {
    // the core fits the picture (images.mjs): the same input as `excite predict`
    let r, name;
    try {
      if (!ctx.excite) throw new Error('the WebAssembly module is not loaded');
      if (spec.file) { r = await images.pictureFromFile(spec.file, ctx.excite); name = spec.file.name || 'pasted image'; }
      else { r = images.pictureFromCanvas(spec.canvas, ctx.excite); name = spec.name || spec.source || 'camera'; }
    } catch (e) {
      ctx.error(e);
      throw e;
    }
    img = { bytes: r.bytes, source: spec.source || 'upload', index: null, label: null, name, canvas: r.display, crop: r.crop, format: r.format, orientation: r.orientation };
    urlState.set({ img: null });
  }
  img.x = ctx.excite.normalize(img.bytes);
  img.version = ++imageVersion;
  img.note = imageNote(img);
  ctx.image = img;
  inspectCache.clear();
  ctx.clearError();
  emit('image-changed', { image: img });
  notifyPanels('image-changed');
  return img;
};

// ---- inspection ------------------------------------------------------------------------
const inspectCache = new Map();
ctx.inspect = async (kind, opts = {}) => {
  const m = ctx.models[kind];
  if (!m) throw new Error('the WebAssembly module is not loaded');
  const x = opts.x || (ctx.image && ctx.image.x);
  if (!x) throw new Error('no image');
  const key = opts.x ? null : `${kind}|${ctx.image.version}|${opts.cls ?? ''}|${opts.block ?? 2}`;
  if (key && inspectCache.has(key)) return inspectCache.get(key);
  const probs = m.predict(x);
  let top1 = 0;
  for (let i = 1; i < 10; i++) if (probs[i] > probs[top1]) top1 = i;
  const blocks = [];
  for (let b = 0; b < 3; b++) {
    const conv = m.featureMap(b, 'conv'), relu = m.featureMap(b, 'relu');
    const se = kind === 'CNN_SE' ? m.featureMap(b, 'se') : null;
    let seView = kind === 'CNN_SE' ? m.seView(b) : null;
    if (seView) seView = { ...seView, hidden_pre: seView.hiddenPre };
    const mean = m.channelMean ? m.channelMean(b) : null;
    blocks.push({ C: relu.C, H: relu.H, W: relu.W, conv: conv && conv.data, relu: relu.data, se: se ? se.data : null, seView, mean });
  }
  const cls = opts.cls ?? top1, block = opts.block ?? 2;
  const cam = m.gradCam(x, cls, block);
  const res = { kind, probs, top1, blocks, gradcam: { cls, block, H: cam.H, W: cam.W, cam: cam.data } };
  if (key) inspectCache.set(key, res);
  return res;
};
ctx.tensor = async (kind, name) => {
  const m = ctx.models[kind];
  const info = m.tensors().find((x) => x.name === name);
  if (!info) throw new Error(`no tensor ${name} in ${kind}`);
  return { shape: info.shape, data: m.getTensor(name) };
};

// ---- embed ----------------------------------------------------------------------------
function embedSnippet() {
  const u = new URL(urlState.embedUrl());
  const parts = [...document.querySelectorAll('#embed-parts input:checked')].map((i) => i.value);
  if (parts.length) u.searchParams.set('view', parts.join(',')); else u.searchParams.delete('view');
  const p = mounted.get(current)?.panel;
  const title = `excite — ${p ? p.title[i18n.getLang()] || p.title.en : ''}`;
  $('embed-code').value = embed.snippet({ url: u.toString(), panel: current, title, parts });
}
// In an iframe: say what the embedding keeps from this view, with a link to a new tab.
function renderEmbedLimits() {
  const lim = embed.limits(window);
  const why = [];
  if (lim.threads && current === 'train') why.push(i18n.t('app.embed.noThreads'));
  if (lim.camera && current === 'inspect') why.push(i18n.t('app.embed.noCamera'));
  $('embed-why').textContent = why.join(' ');
  $('embed-limits').hidden = !why.length;
}
$('embed-button').addEventListener('click', () => {
  // the parts of the current panel that can be embedded alone (panel.views)
  const box = $('embed-parts');
  for (const l of box.querySelectorAll('label')) l.remove();
  const views = mounted.get(current)?.panel.views;
  box.hidden = !views;
  for (const [id, title] of Object.entries(views || {})) {
    const cb = document.createElement('input');
    cb.type = 'checkbox'; cb.value = id;
    cb.addEventListener('change', embedSnippet);
    const l = document.createElement('label');
    l.append(cb, document.createTextNode(title[i18n.getLang()] || title.en));
    box.append(l);
  }
  embedSnippet();
  $('embed-copied').textContent = '';
  $('embed-dialog').showModal();
  $('embed-code').select();
});
$('embed-copy').addEventListener('click', async () => {
  $('embed-code').select();
  try { await navigator.clipboard.writeText($('embed-code').value); } catch { document.execCommand?.('copy'); }
  $('embed-copied').textContent = i18n.t('app.embed.copied');
});
$('embed-close').addEventListener('click', () => $('embed-dialog').close());

// ---- paste (anywhere on the page) -------------------------------------------------------
document.addEventListener('paste', (e) => {
  const f = [...(e.clipboardData?.files || [])].find((x) => x.type.startsWith('image/')) || e.clipboardData?.files?.[0];
  if (!f) return;
  e.preventDefault();
  ctx.setImage({ file: f, source: 'upload' }).then(() => ctx.showPanel('inspect')).catch(() => {});
});

// ---- boot ------------------------------------------------------------------------------
async function boot() {
  const urlLang = urlState.get('lang');
  const lang = urlLang || ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
  if (ctx.embed) {
    document.body.classList.add('embed');
    const u = new URL(location.href); u.searchParams.delete('embed'); u.searchParams.delete('view');
    for (const a of [$('embed-home'), $('embed-open')]) a.href = u.toString();
    $('embed-home').hidden = false;
    events.addEventListener('panel-shown', renderEmbedLimits);
    events.addEventListener('lang-changed', renderEmbedLimits);
  }
  applyLang(lang);
  const backend = loadBackend().catch((e) => { ctx.backendFailed = true; renderBackend(); ctx.error(e); });
  // An embedded view shows one panel: only the Train view needs the training worker (each
  // worker is one more WebAssembly instance, and a lesson may embed several views).
  const needWorker = !ctx.embed || (urlState.get('panel') || panels[0].id) === 'train';
  const worker = needWorker ? startWorker() : Promise.resolve(null);
  await mountPanels();
  for (const [k, mode] of Object.entries(modes)) {
    if (urlState.get(mode.param || k) === '1') {
      try { await mode.mount($('mode-region'), ctx); } catch (e) { ctx.error(e); }
    }
  }
  applyLang(lang);
  ctx.showPanel(urlState.get('panel') || panels[0].id);
  await backend;
  if (ctx.excite && !(await usePretrained({ quiet: true }))) ctx.notice({ code: 'app.pretrainedMissing', vars: {} });
  renderModelStatus();
  setsLoaded.then(() => {
    const idx = urlState.getInt('img', 0);
    if (ctx.data.source && !ctx.image) ctx.setImage({ index: idx }).catch((e) => ctx.error(e));
  });
  await worker;
  document.body.dataset.ready = '1';
  emit('ready', {});
}
ctx.ready = boot();
window.excite = ctx;   // for the browser tests and the console
