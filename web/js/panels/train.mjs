// train.mjs - the Train panel's view and wiring: the controls (start, pause/resume, stop,
// reset), the progress line, the saved-run offer, the charts and the CSV and weight export.
// The settings form is train-form.mjs, the run and the training worker's protocol (with the
// run saved in IndexedDB) train-run.mjs, the charts train-charts.mjs, the texts
// train-strings.mjs, the logic without a DOM train-helpers.mjs; the CSV rows are the core's
// (c/train.h), made in the worker.

import { el } from '../dom.mjs';
import { strings } from './train-strings.mjs';
import { createTrainCharts } from './train-charts.mjs';
import { createTrainForm } from './train-form.mjs';
import { createTrainRun } from './train-run.mjs';
import { KINDS, csvText, progressOf, fmtTime, busyOf } from './train-helpers.mjs';

function download(name, data, type) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function mount(root, services) {
  const { i18n, errors, models, data, events } = services;
  i18n.addStrings(strings);
  const t = i18n.t;
  let ctl = null;
  const form = createTrainForm(services, { onLive: () => ctl.sendLive(), onPauseAt: () => ctl.sendPauseAt(),
    onThreads: (n) => services.training.worker()?.postMessage({ type: 'threads', n }) });

  const startB = el('button', { type: 'button', testid: 'train-start', i18n: 'train.start' });
  const pauseB = el('button', { type: 'button', testid: 'train-pause', class: 'secondary', i18n: 'train.pause' });
  const stopB = el('button', { type: 'button', class: 'secondary', i18n: 'train.stop' });
  const resetB = el('button', { type: 'button', class: 'secondary', i18n: 'train.reset' });
  const controls = el('div', { class: 'controls' }, startB, pauseB, stopB, resetB, form.pauseAtLabel);
  const stateText = el('p', { class: 'muted small', 'aria-live': 'polite' });
  const bar = el('progress', { max: '1', value: '0' });
  bar.dataset.i18nAria = 'train.progressLabel';
  const progText = el('span', { class: 'progress-text' });
  const progress = el('div', { class: 'progress', testid: 'train-progress', role: 'group' }, bar, progText);
  progress.dataset.step = '0';

  // which CIFAR-10 this trains and evaluates on (the sizes above it cannot hold are disabled)
  const dataNote = el('p', { class: 'caption', testid: 'train-data' });
  const renderData = () => {
    const d = data.inUse();
    dataNote.textContent = d ? t('app.data.using', { set: d.label }) : '';
    if (d) form.limitSizes(d);
  };
  const setCard = el('div', { class: 'card' }, el('h2', { i18n: 'train.settings' }), el('p', { class: 'caption', i18n: 'train.intro' }), dataNote, form.element, controls, progress, stateText,
    el('p', { class: 'caption', i18n: 'train.saved.note' }));
  const savedText = el('p');
  const savedResume = el('button', { type: 'button', testid: 'train-resume-saved', i18n: 'train.saved.resume' });
  const savedDiscard = el('button', { type: 'button', class: 'secondary', i18n: 'train.saved.discard' });
  const savedCard = el('div', { class: 'card notice-card', role: 'region' }, savedText, el('div', { class: 'controls' }, savedResume, savedDiscard));
  savedCard.hidden = true;

  const tc = createTrainCharts(t, root, (k) => ctl.run.smooth[k]);
  const exportCard = el('div', { class: 'card' }, el('h3', { i18n: 'train.export' }), el('p', { class: 'caption', i18n: 'train.export.caption' }));
  const downloads = el('div', { class: 'downloads' });
  exportCard.append(downloads);
  const [lossCard, accCard, elossCard, eaccCard, lrCard] = tc.cards;
  root.append(savedCard, setCard, tc.legend,
    el('div', { class: 'grid2' }, lossCard, accCard),
    el('div', { class: 'grid3' }, elossCard, eaccCard, lrCard),
    exportCard);

  // ---- the view of the run's state
  function renderState() {
    const s = ctl.state, pausedAt = ctl.pausedAt;
    if (pausedAt) root.dataset.pausedAtStep = String(pausedAt.step); else delete root.dataset.pausedAtStep;
    stateText.textContent = pausedAt ? t(pausedAt.endOfEpoch ? 'train.state.pausedAt' : 'train.state.pausedAtBatch', pausedAt) : t(`train.state.${s}`);
    const { busy, live } = busyOf(s);
    startB.disabled = busy;
    pauseB.disabled = !live;
    pauseB.dataset.i18n = s === 'paused' ? 'train.resume' : 'train.pause';
    pauseB.textContent = t(pauseB.dataset.i18n);
    pauseB.setAttribute('aria-pressed', String(s === 'paused'));
    stopB.disabled = !busy;
    form.setBusy(s);
    root.dataset.state = s;
  }
  function renderProgress() {
    const run = ctl.run, p = ctl.lastProgress;
    if (!p || !run) { progText.textContent = ''; return; }
    bar.value = progressOf(p, run.settings.epochs).fraction;
    bar.setAttribute('aria-valuetext', `${Math.round(bar.value * 100)}%`);
    const ips = run.models.map((k) => `${k} ${Math.round(run.ips[k] || 0)}`).join(', ');
    progText.textContent = t('train.progress', { epoch: p.epoch, epochs: run.settings.epochs, batch: p.batch, batches: p.batches, ips, eta: fmtTime(p.eta) });
    progress.dataset.step = String(p.step);
    progress.dataset.epoch = String(p.epoch);
    progress.dataset.batch = String(p.batch);
  }
  function renderDownloads() {
    const run = ctl.run;
    downloads.replaceChildren();
    const button = (text, onClick) => {
      const b = el('button', { type: 'button', class: 'secondary' }); b.textContent = text;
      b.addEventListener('click', onClick);
      downloads.append(b);
      return b;
    };
    for (const k of KINDS) {
      const log = run && run.logs[k];
      if (log && log.batches.length) {
        button(t('train.export.batches', { m: k }), () => download(`excite-${k.toLowerCase()}-batches.csv`, csvText(run.csvColumns.batches, log.batches), 'text/csv'));
        if (log.epochs.length) button(t('train.export.epochs', { m: k }), () => download(`excite-${k.toLowerCase()}-epochs.csv`, csvText(run.csvColumns.epochs, log.epochs), 'text/csv'));
      }
      const b3 = button(t('train.export.weights', { m: k }), () => {
        try { download(`${k.toLowerCase()}.safetensors`, models.getWeights(k), 'application/octet-stream'); }
        catch (e) { errors.show(e); }
      });
      b3.dataset.testid = `export-weights-${k}`;
      b3.disabled = !models.get(k);
    }
  }
  function showSaved() {
    const saved = ctl.saved;
    if (!saved) { savedCard.hidden = true; return; }
    const p = saved.progress || { epoch: 0, batch: 0, batches: 0 };
    savedText.textContent = t('train.saved', { models: saved.models.join(' + '), epoch: p.epoch, epochs: saved.settings.epochs, batch: p.batch, batches: p.batches,
      time: new Date(saved.savedAt).toLocaleString(i18n.lang === 'zh' ? 'zh-CN' : 'en') });
    savedCard.hidden = false;
  }

  ctl = createTrainRun(services, form, {
    charts: tc, state: renderState, progress: renderProgress, downloads: renderDownloads,
    showSaved, hideSaved: () => { savedCard.hidden = true; },
    workerState: (s) => { root.dataset.workerState = s; },
    clearCurves: () => { bar.value = 0; progress.dataset.step = '0'; renderProgress(); },
  });
  ctl.offerSaved();
  savedDiscard.addEventListener('click', () => ctl.discardSaved());
  savedResume.addEventListener('click', () => ctl.resumeSaved());
  startB.addEventListener('click', () => ctl.start());
  pauseB.addEventListener('click', () => ctl.pauseOrResume());
  stopB.addEventListener('click', () => ctl.stop());
  resetB.addEventListener('click', () => ctl.reset());

  ctl.setState('idle');
  renderProgress();
  renderDownloads();

  const instance = {
    update(what) {
      if (what === 'shown') { tc.make(); ctl.listen(); }
      if (what === 'lang-changed') { renderState(); renderProgress(); tc.label(); renderDownloads(); showSaved(); }
      if (what === 'models-changed') renderDownloads();
      if (what === 'data-changed' || what === 'lang-changed') renderData();
    },
    get state() { return ctl.state; },
    get charts() { return tc.charts; },
  };
  events.addEventListener('ready', () => { ctl.listen(); renderDownloads(); });
  return instance;
}

export default { id: 'train', title: { en: 'Train', zh: '训练' }, mount };
