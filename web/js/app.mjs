// app.mjs - the page shell: start() builds the services the panels receive (panels/README.md),
// wires the header, the model bar and the tabs, mounts the panels listed in panels/index.mjs
// and loads the models, the data and the training worker. Nothing happens at import time:
// main.mjs calls start().
//
//   services = { i18n, url, events, errors, models, data, image, page, training }
//
// window.excite is a handle for the browser tests and the console (debugHandle below); panels
// never see it.

import * as i18n from './i18n.mjs';
import * as urlState from './url-state.mjs';
import * as images from './images.mjs';
import * as dataSets from './data-sets.mjs';
import { strings as featureGridStrings } from './featuregrid.mjs';
import { panels, modes } from './panels/index.mjs';
import { createMessages } from './shell/messages.mjs';
import { createModels, KINDS, MAX_WEIGHTS_BYTES } from './shell/models.mjs';
import { createDataSource } from './shell/data-source.mjs';
import { createUserData } from './shell/user-data.mjs';
import { UI_DEFAULTS } from './panels/train-helpers.mjs';
import { createCurrentImage } from './shell/current-image.mjs';
import { startTrainingWorker } from './shell/training-worker.mjs';
import { threadsSetting } from './panels/train-form.mjs';
import { createTabs } from './shell/tabs.mjs';
import { renderBackend, renderModelStatus, renderDataSelect } from './shell/modelbar.mjs';
import { wireEmbedDialog, setUpEmbedded } from './shell/embed-dialog.mjs';

// The UI language: ?lang=, else the browser's (Chinese or English).
export function initialLang(urlLang, navigatorLang) {
  return urlLang || ((navigatorLang || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
}

// Panel updates the app sends for each event (panels/README.md, update(what)).
export const PANEL_UPDATES = ['models-changed', 'image-changed', 'lang-changed', 'data-changed'];

export function start() {
  const $ = (id) => document.getElementById(id);
  const events = new EventTarget();
  const emit = (type, detail = {}) => events.dispatchEvent(new CustomEvent(type, { detail }));
  i18n.addStrings(images.strings);
  i18n.addStrings(featureGridStrings);
  urlState.onChange((changes) => emit('state-changed', { changes }));

  // ---- services ------------------------------------------------------------------------
  let dataSource = null;
  // class names: the user's when their set is in use, else CIFAR-10's in the page's language
  const cifarNames = () => i18n.CLASS_NAMES[i18n.getLang()] || i18n.CLASS_NAMES.en;
  const classNames = () => dataSource.classNames() || cifarNames();
  // a model's own class names (from its weights file): CIFAR-10's translated, others as they are
  const modelClassNames = (kind) => {
    const c = models.get(kind)?.classes;
    return !c || (c.length === 10 && c.every((x, i) => x === i18n.CLASS_NAMES.en[i])) ? cifarNames() : c;
  };
  const lang = {
    t: i18n.t, addStrings: i18n.addStrings,
    className: (i) => { const u = dataSource.classNames(); return u ? (u[i] ?? String(i)) : i18n.className(i); },
    get lang() { return i18n.getLang(); },
    set: (l) => setLang(l),
  };
  const url = { get: urlState.get, getInt: urlState.getInt, set: (o) => urlState.set(o) };
  const errors = createMessages({ t: i18n.t, isQuiet: (e) => e instanceof images.ImageError });
  let image = null;
  const models = createModels({ events, currentImage: () => image.current() });
  const userImages = createUserData({ events, ex: () => models.ex, seed: () => urlState.getInt('seed', UI_DEFAULTS.seed) });
  dataSource = createDataSource({ events, urlState, t: i18n.t, user: userImages });
  image = createCurrentImage({ events, urlState, t: i18n.t, ex: () => models.ex, testSet: dataSource.testSet,
    errors, onChange: () => models.imageChanged() });
  const training = { worker: null, info: null };
  const embedded = urlState.get('embed') === '1';

  const services = {
    i18n: lang,
    url,
    events,
    errors: { show: errors.show, clear: errors.clear, notice: errors.notice },
    models: {
      KINDS,
      ex: () => models.ex,
      classNames: modelClassNames,
      get: models.get, info: models.info, inspect: models.inspect, tensor: models.tensor,
      getWeights: models.getWeights, setWeights: models.setWeights,
    },
    data: {
      // the set in use with its translated label, or null
      inUse: () => { const d = dataSource.current(); return d.source ? { ...d, label: dataSets.label(d, i18n.t, i18n.getLang()) } : null; },
      testSet: dataSource.testSet, trainData: dataSource.trainData,
      // the class names of the set in use, in label order (CIFAR-10's translated, or the user's)
      classNames,
      // use a source: 'user' (Your images) or a CIFAR-10 set's id
      use: (id) => dataSource.choose(id),
    },
    userImages,
    image: { current: image.current, set: image.set },
    page: {
      embed: embedded,
      showPanel: (id, opts) => tabs.show(id, opts),
      mountPanel: (id, element) => {
        const p = panels.find((x) => x.id === id);
        if (!p) throw new Error(`no panel ${id}`);
        return p.mount(element, services);
      },
    },
    training: { worker: () => training.worker, info: () => training.info },
  };

  // ---- panels --------------------------------------------------------------------------
  const tabs = createTabs({
    nav: $('tabs'), main: $('panels'), panels,
    onShow: (id) => {
      urlState.set({ panel: id === panels[0].id && !urlState.get('panel') ? null : id });
      emit('panel-shown', { id });
      callUpdate(tabs.mounted.get(id), 'shown');
    },
  });
  function callUpdate(m, what) {
    try {
      if (m.instance && typeof m.instance.update === 'function') m.instance.update(what);
      else if (typeof m.panel.update === 'function') m.panel.update(what);
    } catch (e) { errors.show(e); }
  }
  for (const what of PANEL_UPDATES) events.addEventListener(what, () => { for (const m of tabs.mounted.values()) callUpdate(m, what); });
  async function mountPanels() {
    for (const m of tabs.mounted.values()) {
      try { m.instance = (await m.panel.mount(m.section.firstChild, services)) || null; }
      catch (e) { errors.show(e); }
    }
  }

  // ---- header and model bar --------------------------------------------------------------
  const backendState = () => ({ ex: models.ex, workerInfo: training.info, failed: models.failed });
  const renderChrome = () => {
    renderBackend(backendState(), i18n.t);
    renderModelStatus(KINDS, models.info, i18n.t);
    renderDataSelect(dataSource, i18n.t, i18n.getLang());
  };
  function applyLang(l) {
    i18n.setLang(l);
    for (const b of document.querySelectorAll('.lang button[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === i18n.getLang()));
    i18n.translateDom(document);
    document.title = i18n.t('app.title');
    tabs.relabel(i18n.getLang());
    renderChrome();
    errors.retranslate();
  }
  function setLang(l) {
    applyLang(l);
    urlState.set({ lang: i18n.getLang() === 'en' && !urlState.get('lang') ? null : i18n.getLang() });
    image.retranslate();
    emit('lang-changed', { lang: i18n.getLang() });
  }
  for (const b of document.querySelectorAll('.lang button[data-lang]')) b.addEventListener('click', () => setLang(b.dataset.lang));
  events.addEventListener('models-changed', () => renderModelStatus(KINDS, models.info, i18n.t));
  events.addEventListener('data-list-changed', () => renderDataSelect(dataSource, i18n.t, i18n.getLang()));
  $('data-set').addEventListener('change', (e) => dataSource.choose(e.target.value));
  // another data set: a test image of the old one is not one of the new set's
  events.addEventListener('data-changed', () => {
    const cur = image.current();
    if (dataSource.current().source && cur && cur.source === 'gallery') image.set({ index: 0 }).catch(() => {});   // (the first image: boot)
  });

  async function usePretrained({ quiet = false } = {}) {
    if (!models.ex) return false;
    const r = await models.usePretrained();
    if (!r.ok) { if (!quiet) errors.show(r.missing ? { code: 'app.pretrainedMissing', vars: {} } : r.error); return false; }
    if (!quiet) errors.notice({ code: 'app.pretrainedLoaded', vars: { ms: r.ms } });
    return true;
  }
  $('use-pretrained').addEventListener('click', () => { errors.clear(); usePretrained(); });
  $('weights-input').addEventListener('change', async (e) => {
    const input = e.target, file = input.files && input.files[0];
    input.value = '';
    if (!file || !models.ex) return;
    try {
      if (file.size === 0) throw new Error(i18n.t('img.err.empty'));
      if (file.size > MAX_WEIGHTS_BYTES) throw new Error('file too large for a model of this size');
      const bytes = new Uint8Array(await file.arrayBuffer());
      const kind = models.kindOf(bytes);
      models.setWeights(kind, bytes, { source: 'file', name: file.name });
      errors.clear();
      errors.notice({ code: 'app.weightsLoaded', vars: { name: file.name, model: kind } });
    } catch (err) {
      errors.show({ code: 'app.weightsError', vars: { name: file.name, msg: err.message || String(err) } });
    }
  });
  $('data-input').addEventListener('change', async (e) => {
    const input = e.target, file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    errors.notice({ code: 'app.data.loading', vars: {} });
    try { await dataSource.openArchive(file); errors.clear(); errors.notice(''); }
    catch (err) { errors.notice(''); errors.show({ code: 'app.data.error', vars: { name: file.name, msg: err.message || String(err) } }); }
  });
  wireEmbedDialog({ i18n: lang, currentPanel: () => tabs.mounted.get(tabs.current())?.panel, embedUrl: urlState.embedUrl });
  // paste (anywhere on the page): the picture becomes the current image
  document.addEventListener('paste', (e) => {
    const f = [...(e.clipboardData?.files || [])].find((x) => x.type.startsWith('image/')) || e.clipboardData?.files?.[0];
    if (!f || tabs.current() === 'images') return;   // the Your images panel takes its own pastes
    e.preventDefault();
    image.set({ file: f, source: 'upload' }).then(() => tabs.show('inspect')).catch(() => {});
  });

  // ---- boot ------------------------------------------------------------------------------
  async function boot() {
    const l = initialLang(urlState.get('lang'), navigator.language);
    if (embedded) setUpEmbedded({ events, t: i18n.t, currentPanelId: tabs.current });
    applyLang(l);
    const backend = models.load({ seed: urlState.getInt('seed', 42) })
      .then(() => { renderBackend(backendState(), i18n.t); emit('user-set-changed', { what: 'engine' }); })   // the split needs the core
      .catch((e) => { renderBackend(backendState(), i18n.t); errors.show(e); });
    // An embedded view shows one panel: only the Train view needs the training worker (each
    // worker is one more WebAssembly instance, and a lesson may embed several views).
    const needWorker = !embedded || (urlState.get('panel') || panels[0].id) === 'train';
    const worker = needWorker ? startTrainingWorker({
      onStart: (w) => { training.worker = w; },
      onReady: (info) => { training.info = info; renderBackend(backendState(), i18n.t); },
      onError: (e) => errors.show(e),
    }, 'auto', threadsSetting(urlState)) : Promise.resolve(null);
    await mountPanels();
    for (const [k, mode] of Object.entries(modes)) {
      if (urlState.get(mode.param || k) === '1') {
        try { await mode.mount($('mode-region'), services); } catch (e) { errors.show(e); }
      }
    }
    applyLang(l);
    tabs.show(urlState.get('panel') || panels[0].id);
    await backend;
    if (models.ex && !(await usePretrained({ quiet: true }))) errors.notice({ code: 'app.pretrainedMissing', vars: {} });
    renderModelStatus(KINDS, models.info, i18n.t);
    dataSource.listed.then(() => {
      if (dataSource.current().source && !image.current()) image.set({ index: urlState.getInt('img', 0) }).catch((e) => errors.show(e));
    });
    await worker;
    document.body.dataset.ready = '1';
    emit('ready');
  }
  const ready = boot();
  window.excite = debugHandle({ services, models, dataSource, image, training, errors, usePretrained, ready });
  return window.excite;
}

// window.excite: what the browser tests and a curious reader at the console use. Read-only
// views of the shell's state plus the few actions the tests drive (README.md in panels/).
function debugHandle({ services, models, dataSource, image, training, errors, usePretrained, ready }) {
  return {
    services,
    get excite() { return models.ex; },
    get build() { return models.ex ? models.ex.build : null; },
    get models() { return models.all(); },
    get modelInfo() { return models.allInfo(); },
    get modelVersion() { return models.version; },
    get pretrainedMs() { return models.pretrainedMs; },
    get image() { return image.current(); },
    get data() { return dataSource.current(); },
    dataSet: services.data.inUse,
    get trainWorker() { return training.worker; },
    get workerInfo() { return training.info; },
    get events() { return services.events; },
    inspect: models.inspect,
    tensor: models.tensor,
    setImage: image.set,
    getWeights: models.getWeights,
    setWeights: models.setWeights,
    guessKind: (bytes) => models.kindOf(bytes),
    usePretrained,
    testSet: dataSource.testSet,
    error: errors.show,
    clearError: errors.clear,
    showPanel: services.page.showPanel,
    ready,
  };
}
