// train.mjs - the Train panel's view and wiring: the settings form, start/pause/resume/stop/
// reset of the training worker (wasm/worker.mjs), progress, the saved-run offer (IndexedDB),
// CSV and weight export. The charts are train-charts.mjs, the texts train-strings.mjs, the
// logic without a DOM train-helpers.mjs; the CSV rows are the core's (c/train.h), made in
// the worker; the form's limits come from the core's settings table (ex.trainSettings).

import { smoother } from '../charts.mjs';
import * as store from '../run-store.mjs';
import { el } from '../dom.mjs';
import { limitSelect } from '../data-sets.mjs';
import { strings } from './train-strings.mjs';
import { createTrainCharts } from './train-charts.mjs';
import { KINDS, UI_DEFAULTS, formLimits, settingProblems, newRun, csvText, rowNumbers, keepCheckpoint,
  savedRecord, resumable, modelsOf, progressOf, fmtTime } from './train-helpers.mjs';

function download(name, data, type) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function mount(root, ctx) {
  // IndexedDB writes in the order they were asked for (a save, then the delete at 'done')
  let storeQueue = Promise.resolve();
  const queued = (f) => (storeQueue = storeQueue.then(f, f));
  const saveRun = (r) => queued(() => store.saveRun(r));
  const deleteRun = () => queued(() => store.deleteRun());
  const loadRun = () => queued(() => store.loadRun());
  ctx.addStrings(strings);
  const t = ctx.t;
  const sel = (name, opts, value) => {
    const s = el('select', { name });
    for (const o of opts) { const op = el('option', { value: String(o) }); op.textContent = String(o); if (String(o) === String(value)) op.selected = true; s.append(op); }
    return s;
  };
  const lab = (key, input) => { const l = el('label'); const sp = el('span', { i18n: key }); l.append(sp, input); return l; };

  // ---- settings
  const modelField = el('fieldset');
  const legend = el('legend', { class: 'visually-hidden', i18n: 'train.model' });
  const modelHead = el('span', { i18n: 'train.model' });
  modelField.append(legend, modelHead);
  const initialModel = ['CNN', 'CNN_SE', 'both'].includes(ctx.state.get('model')) ? ctx.state.get('model') : 'both';
  const radios = {};
  for (const v of ['both', 'CNN', 'CNN_SE']) {
    const r = el('input', { type: 'radio', name: 'train-model', value: v });
    if (v === initialModel) r.checked = true;
    radios[v] = r;
    const l = el('label'); l.append(r, el('span', { i18n: `train.model.${v}` }));
    modelField.append(l);
  }
  // limits and the batch size's and learning rate's defaults: the core's table (applyTable)
  const epochs = el('input', { type: 'number', step: '1', value: String(UI_DEFAULTS.epochs), name: 'epochs' });
  const batch = sel('batch', [16, 32, 64, 128, 256], 64);
  const lr = el('input', { type: 'number', step: 'any', value: '0.001', name: 'lr' });
  const trainSize = sel('train-size', [1000, 2000, 5000, 10000, 20000, 50000], 5000);
  const testSize = sel('test-size', [500, 1000, 2000, 10000], 1000);
  const augment = el('input', { type: 'checkbox', name: 'augment' }); augment.checked = UI_DEFAULTS.augment;
  const seed = el('input', { type: 'number', step: '1', value: String(ctx.state.getInt('seed', UI_DEFAULTS.seed)), name: 'seed' });
  // The core's settings table (the worker sends it): the form's limits and its checks.
  let table = null;
  function applyTable(tb) {
    const first = !table;
    table = tb;
    const lim = formLimits(tb);
    for (const [key, input] of [['epochs', epochs], ['lr', lr], ['seed', seed]]) {
      if (lim[key]) { input.min = String(lim[key].min); input.max = String(lim[key].max); }
    }
    if (first && lim.lr && !run) lr.value = String(lim.lr.default);
    if (first && lim.batchSize && !run) batch.value = String(lim.batchSize.default);
  }
  const finetune = el('input', { type: 'checkbox', name: 'finetune' });
  const augL = el('label', { class: 'check' }); augL.append(augment, el('span', { i18n: 'train.augment' }));
  const ftL = el('label', { class: 'check' }); ftL.append(finetune, el('span', { i18n: 'train.finetune' }));
  const settings = el('div', { class: 'settings' });
  settings.append(modelField, lab('train.epochs', epochs), lab('train.batch', batch), lab('train.lr', lr),
    lab('train.trainSize', trainSize), lab('train.testSize', testSize), lab('train.seed', seed), augL, ftL);
  const inputs = [...settings.querySelectorAll('input, select')];

  const startB = el('button', { type: 'button', testid: 'train-start', i18n: 'train.start' });
  const pauseB = el('button', { type: 'button', testid: 'train-pause', class: 'secondary', i18n: 'train.pause' });
  const stopB = el('button', { type: 'button', class: 'secondary', i18n: 'train.stop' });
  const resetB = el('button', { type: 'button', class: 'secondary', i18n: 'train.reset' });
  // "pause at the end of this epoch": ticked before Start or a resume, the first epoch run
  const pauseAtEnd = el('input', { type: 'checkbox', name: 'pause-at-epoch-end', testid: 'train-pause-at-epoch-end' });
  const pauseAtL = el('label', { class: 'check' }); pauseAtL.append(pauseAtEnd, el('span', { i18n: 'train.pauseAtEpochEnd' }));
  const controls = el('div', { class: 'controls' }, startB, pauseB, stopB, resetB, pauseAtL);
  const stateText = el('p', { class: 'muted small', 'aria-live': 'polite' });
  const bar = el('progress', { max: '1', value: '0' });
  bar.dataset.i18nAria = 'train.progressLabel';
  const progText = el('span', { class: 'progress-text' });
  const progress = el('div', { class: 'progress', testid: 'train-progress', role: 'group' }, bar, progText);
  progress.dataset.step = '0';

  // which CIFAR-10 this trains and evaluates on (the sizes above it cannot hold are disabled)
  const dataNote = el('p', { class: 'caption', testid: 'train-data' });
  const renderData = () => {
    const d = ctx.dataSet();
    dataNote.textContent = d ? t('app.data.using', { set: d.label }) : '';
    if (d) { limitSelect(trainSize, d.train); limitSelect(testSize, d.test); }
  };
  const setCard = el('div', { class: 'card' }, el('h2', { i18n: 'train.settings' }), el('p', { class: 'caption', i18n: 'train.intro' }), dataNote, settings, controls, progress, stateText,
    el('p', { class: 'caption', i18n: 'train.saved.note' }));
  const savedText = el('p');
  const savedResume = el('button', { type: 'button', testid: 'train-resume-saved', i18n: 'train.saved.resume' });
  const savedDiscard = el('button', { type: 'button', class: 'secondary', i18n: 'train.saved.discard' });
  const savedCard = el('div', { class: 'card notice-card', role: 'region' }, savedText, el('div', { class: 'controls' }, savedResume, savedDiscard));
  savedCard.hidden = true;

  const tc = createTrainCharts(t, root, (k) => run.smooth[k]);
  const exportCard = el('div', { class: 'card' }, el('h3', { i18n: 'train.export' }), el('p', { class: 'caption', i18n: 'train.export.caption' }));
  const downloads = el('div', { class: 'downloads' });
  exportCard.append(downloads);
  const [lossCard, accCard, elossCard, eaccCard, lrCard] = tc.cards;
  root.append(savedCard, setCard, tc.legend,
    el('div', { class: 'grid2' }, lossCard, accCard),
    el('div', { class: 'grid3' }, elossCard, eaccCard, lrCard),
    exportCard);

  // ---- run state
  let state = 'idle';          // idle | loading | running | paused | stopped | done
  let run = null;              // { models, settings, logs: {kind: {batches: [], epochs: []}}, smooth, epochStart }
  let lastProgress = null;
  let pausedAt = null;         // { epoch, batch, step, endOfEpoch } when the worker paused by itself
  const worker = () => ctx.trainWorker;

  function setState(s) {
    state = s;
    if (s !== 'paused') { pausedAt = null; delete root.dataset.pausedAtStep; }
    stateText.textContent = pausedAt ? t(pausedAt.endOfEpoch ? 'train.state.pausedAt' : 'train.state.pausedAtBatch', pausedAt) : t(`train.state.${s}`);
    const busy = s === 'running' || s === 'paused' || s === 'loading';
    startB.disabled = busy;
    pauseB.disabled = !(s === 'running' || s === 'paused');
    pauseB.dataset.i18n = s === 'paused' ? 'train.resume' : 'train.pause';
    pauseB.textContent = t(pauseB.dataset.i18n);
    pauseB.setAttribute('aria-pressed', String(s === 'paused'));
    stopB.disabled = !busy;
    // epochs and the learning rate stay editable during a run (sent to the worker on change)
    const live = s === 'running' || s === 'paused';
    for (const i of inputs) i.disabled = busy && !(live && (i === epochs || i === lr));
    root.dataset.state = s;
  }
  function renderProgress() {
    if (!lastProgress || !run) { progText.textContent = ''; return; }
    const p = lastProgress;
    bar.value = progressOf(p, run.settings.epochs).fraction;
    bar.setAttribute('aria-valuetext', `${Math.round(bar.value * 100)}%`);
    const ips = run.models.map((k) => `${k} ${Math.round(run.ips[k] || 0)}`).join(', ');
    progText.textContent = t('train.progress', { epoch: p.epoch, epochs: run.settings.epochs, batch: p.batch, batches: p.batches, ips, eta: fmtTime(p.eta) });
    progress.dataset.step = String(p.step);
    progress.dataset.epoch = String(p.epoch);
    progress.dataset.batch = String(p.batch);
  }

  function renderDownloads() {
    downloads.replaceChildren();
    for (const k of KINDS) {
      const log = run && run.logs[k];
      if (log && log.batches.length) {
        const b1 = el('button', { type: 'button', class: 'secondary' }); b1.textContent = t('train.export.batches', { m: k });
        b1.addEventListener('click', () => download(`excite-${k.toLowerCase()}-batches.csv`, csvText(run.csvColumns.batches, log.batches), 'text/csv'));
        downloads.append(b1);
        if (log.epochs.length) {
          const b2 = el('button', { type: 'button', class: 'secondary' }); b2.textContent = t('train.export.epochs', { m: k });
          b2.addEventListener('click', () => download(`excite-${k.toLowerCase()}-epochs.csv`, csvText(run.csvColumns.epochs, log.epochs), 'text/csv'));
          downloads.append(b2);
        }
      }
      const b3 = el('button', { type: 'button', class: 'secondary' }); b3.textContent = t('train.export.weights', { m: k });
      b3.dataset.testid = `export-weights-${k}`;
      b3.addEventListener('click', () => {
        try { download(`${k.toLowerCase()}.safetensors`, ctx.getWeights(k), 'application/octet-stream'); }
        catch (e) { ctx.error(e); }
      });
      b3.disabled = !ctx.models[k];
      downloads.append(b3);
    }
  }

  // weights from the worker -> the models used by the other panels
  let reqId = 0;
  const pendingWeights = new Map();
  function syncWeights() {
    if (!run || !worker()) return;
    for (const k of run.models) {
      const id = ++reqId;
      pendingWeights.set(id, k);
      worker().postMessage({ type: 'get-weights', model: k, half: false, id });
    }
  }

  function onMessage(ev) {
    const d = ev.data || {};
    if (d.type === 'settings-table') { applyTable(d.settings); return; }
    if (!run && d.type !== 'weights') return;
    switch (d.type) {
      case 'run':
        run.csvColumns = d.csvColumns;
        break;
      case 'data-ready':
        run.onData?.(d);
        break;
      case 'batch': {
        const k = d.model;
        const acc = d.acc ?? d.accuracy;
        tc.plotBatch(k, d.step, d.loss, acc, d.lr);
        run.ips[k] = d.imgPerSec ?? d.imagesPerSec;   // smoothed, for the progress line
        run.logs[k].batches.push(d.csv);              // the core's row (this batch's own rate)
        if (k === run.models[run.models.length - 1]) { lastProgress = { epoch: d.epoch, batch: d.batch, batches: d.batches, step: d.step, eta: d.eta }; renderProgress(); }
        break;
      }
      case 'epoch': {
        const k = d.model;
        tc.plotEpoch(k, d.epoch, d.trainLoss, d.trainAcc, d.testLoss, d.testAcc);
        run.logs[k].epochs.push(d.csv);
        if (k === run.models[run.models.length - 1]) { syncWeights(); renderDownloads(); }
        break;
      }
      case 'state':
        root.dataset.workerState = d.state;   // what the worker confirmed (tests wait for it)
        if (d.reason === 'pause-at') { pausedAt = d.at; pauseAtEnd.checked = false; root.dataset.pausedAtStep = String(d.at.step); }
        if (d.state === 'stopped' || d.state === 'done') syncWeights();
        if (d.state === 'done') deleteRun();
        setState(d.state);
        if (d.state === 'done' || d.state === 'stopped') renderDownloads();
        break;
      case 'weights': {
        const k = pendingWeights.get(d.id);
        if (!k) break;
        pendingWeights.delete(d.id);
        try { ctx.setWeights(k, d.bytes, { source: 'trained' }); } catch (e) { ctx.error(e); }
        break;
      }
      case 'checkpoint':
        run.checkpoint = d.state;
        // the checkpoint after the last epoch is not worth keeping: 'done' follows
        if (keepCheckpoint(state, d.reason, lastProgress, run.settings.epochs)) saveRun(savedRecord(run, d.state, lastProgress, Date.now()));
        break;
      case 'error':
        if (d.command === 'data' || d.command === 'load-data') { run.onDataError?.(new Error(d.message)); break; }   // sendData reports it
        if (d.command) ctx.error(d.message);
        else ctx.error({ code: d.diverged ? 'train.err.divergedPaused' : 'train.err.diverged', vars: { msg: d.model ? `${d.model}: ${d.message}` : d.message } });
        if (state === 'loading') setState('idle');
        break;
    }
  }
  let listening = null;
  function listen() {
    const w = worker();
    if (w && listening !== w) { w.addEventListener('message', onMessage); listening = w; w.postMessage({ type: 'settings-table' }); }
    return w;
  }

  const LABELS = { epochs: 'train.epochs', batchSize: 'train.batch', lr: 'train.lr', seed: 'train.seed', augment: 'train.augment' };
  function readSettings() {
    const n = (x) => Number(x.value);
    // the other settings (weight decay, dropout, the scheduler) are the core's defaults
    const s = { epochs: n(epochs), batchSize: n(batch), lr: n(lr), augment: augment.checked, seed: n(seed),
      trainSize: n(trainSize), testSize: n(testSize) };
    const bad = settingProblems(s, table).map((p) => `${t(LABELS[p.key])} ${p.min}–${p.max}`);
    if (bad.length) throw new Error(t('train.err.settings', { what: bad.join(', ') }));
    return s;
  }
  const chosenModels = () => modelsOf(Object.entries(radios).find(([, r]) => r.checked)?.[0] || 'both');
  for (const r of Object.values(radios)) r.addEventListener('change', () => ctx.state.set({ model: Object.entries(radios).find(([, x]) => x.checked)[0] }));
  seed.addEventListener('change', () => ctx.state.set({ seed: seed.value }));
  // During a run: more or fewer epochs, or another learning rate from the next batch on.
  function sendLive() {
    if (!run || !(state === 'running' || state === 'paused')) return;
    let s;
    try { s = readSettings(); } catch (e) { ctx.error(e.message); return; }
    const w = worker();
    if (!w) return;
    w.postMessage({ type: 'settings', settings: { epochs: s.epochs, lr: s.lr } });
    run.settings = { ...run.settings, epochs: s.epochs, lr: s.lr };
    renderProgress();
  }
  epochs.addEventListener('change', sendLive);
  // the worker resolves "this epoch" itself, so a tick between two batches cannot miss it
  const pauseAtSetting = () => (pauseAtEnd.checked ? { epochEnd: true } : null);
  pauseAtEnd.addEventListener('change', () => {
    const w = worker();
    if (w && run && (state === 'running' || state === 'paused')) w.postMessage({ type: 'settings', settings: { pauseAt: pauseAtSetting() } });
  });
  lr.addEventListener('change', sendLive);

  function clearCurves() {
    tc.clear();
    lastProgress = null;
    bar.value = 0;
    progress.dataset.step = '0';
    renderProgress();
  }

  async function start() {
    ctx.clearError();
    const w = listen();
    if (!w) { ctx.error(t('train.err.worker')); return; }
    if (state === 'running' || state === 'paused' || state === 'loading') { ctx.error(t('train.err.busy')); return; }
    let settings;
    try { settings = readSettings(); } catch (e) { ctx.error(e.message); return; }
    const models = chosenModels();
    tc.make();
    clearCurves();
    run = newRun(models, settings, { smoother });
    setState('loading');
    savedCard.hidden = true;   // a saved run stays until the new one has its data
    try {
      await sendData(w, settings.trainSize, settings.testSize);
      if (state !== 'loading') { showSaved(); return; }   // stopped meanwhile
      saved = null;
      deleteRun();
      const weights = {};
      if (finetune.checked) for (const k of models) weights[k] = ctx.getWeights(k);
      const { trainSize: _a, testSize: _b, ...ws } = settings;
      w.postMessage({ type: 'start', models, settings: ws, weights: finetune.checked ? weights : undefined, ...(pauseAtEnd.checked ? { pauseAt: pauseAtSetting() } : {}) });
      setState('running');
      renderProgress();
    } catch (e) {
      setState('idle');
      showSaved();
      ctx.error(e);
    }
  }

  async function sendData(w, trainSize, testSize) {
    const data = await ctx.trainData({ trainSize, testSize });
    const ready = new Promise((resolve, reject) => { run.onData = resolve; run.onDataError = reject; });
    if (data.baseUrl) w.postMessage({ type: 'load-data', baseUrl: data.baseUrl, trainSize, testSize });
    else w.postMessage({ type: 'data', train: data.train, test: data.test }, [data.train.images.buffer, data.train.labels.buffer, data.test.images.buffer, data.test.labels.buffer]);
    await ready;
  }

  // ---- a run saved in IndexedDB (reload, crash): offer to resume it exactly
  let saved = null;
  function showSaved() {
    if (!saved) { savedCard.hidden = true; return; }
    const p = saved.progress || { epoch: 0, batch: 0, batches: 0 };
    savedText.textContent = t('train.saved', { models: saved.models.join(' + '), epoch: p.epoch, epochs: saved.settings.epochs, batch: p.batch, batches: p.batches,
      time: new Date(saved.savedAt).toLocaleString(ctx.lang === 'zh' ? 'zh-CN' : 'en') });
    savedCard.hidden = false;
  }
  loadRun().then((rec) => {
    if (resumable(rec) && !run) { saved = rec; showSaved(); }
  });
  savedDiscard.addEventListener('click', () => { saved = null; showSaved(); deleteRun(); });
  savedResume.addEventListener('click', async () => {
    const rec = saved;
    const w = listen();
    if (!rec || !w) { if (!w) ctx.error(t('train.err.worker')); return; }
    if (state === 'running' || state === 'paused' || state === 'loading') { ctx.error(t('train.err.busy')); return; }
    ctx.clearError();
    // settings shown as they were
    const st = rec.settings;
    epochs.value = String(st.epochs); batch.value = String(st.batchSize); lr.value = String(st.lr);
    augment.checked = !!st.augment; seed.value = String(st.seed);
    trainSize.value = String(rec.checkpoint.data.nTrain); testSize.value = String(rec.checkpoint.data.nTest);
    const both = rec.models.length === 2;
    for (const [v, r] of Object.entries(radios)) r.checked = both ? v === 'both' : v === rec.models[0];
    tc.make();
    clearCurves();
    run = newRun(rec.models, st, { logs: rec.logs, smoother });
    for (const k of rec.models) {
      for (const row of rec.logs[k].batches) { const c = rowNumbers(row); tc.plotBatch(k, c[2], c[3], c[4], c[5]); }
      for (const row of rec.logs[k].epochs) { const c = rowNumbers(row); tc.plotEpoch(k, c[0], c[1], c[2], c[3], c[4]); }
    }
    lastProgress = rec.progress;
    renderProgress();
    savedCard.hidden = true;
    setState('loading');
    try {
      await sendData(w, rec.checkpoint.data.nTrain, rec.checkpoint.data.nTest);
      if (state !== 'loading') { showSaved(); return; }
      saved = null;
      w.postMessage({ type: 'start', resume: rec.checkpoint, ...(pauseAtEnd.checked ? { pauseAt: pauseAtSetting() } : {}) });
      setState('running');
    } catch (e) {
      setState('idle');
      showSaved();   // still saved: it can be resumed once the data loads
      ctx.error(e);
    }
  });

  startB.addEventListener('click', start);
  pauseB.addEventListener('click', () => {
    const w = worker(); if (!w) return;
    if (state === 'running') { w.postMessage({ type: 'pause' }); setState('paused'); }
    else if (state === 'paused') { w.postMessage({ type: 'resume' }); setState('running'); }
  });
  stopB.addEventListener('click', () => {
    const w = worker(); if (!w) return;
    if (state === 'loading') { setState('stopped'); return; }
    w.postMessage({ type: 'stop' });
  });
  // Reset clears the curves; a run saved in this browser is not deleted without asking: it is
  // offered again (Resume it, or Discard it).
  resetB.addEventListener('click', () => {
    const w = worker();
    if (w && (state === 'running' || state === 'paused')) w.postMessage({ type: 'stop' });
    run = null;
    clearCurves();
    setState('idle');
    renderDownloads();
    ctx.clearError();
    loadRun().then((rec) => { if (resumable(rec) && !run) { saved = rec; showSaved(); } });
  });

  setState('idle');
  renderProgress();
  renderDownloads();

  const instance = {
    update(what) {
      if (what === 'shown') { tc.make(); listen(); }
      if (what === 'lang-changed') { setState(state); renderProgress(); tc.label(); renderDownloads(); showSaved(); }
      if (what === 'models-changed') renderDownloads();
      if (what === 'data-changed' || what === 'lang-changed') renderData();
    },
    get state() { return state; },
    get charts() { return tc.charts; },
  };
  ctx.events.addEventListener('ready', () => { listen(); renderDownloads(); });
  return instance;
}

export default { id: 'train', title: { en: 'Train', zh: '训练' }, mount };
