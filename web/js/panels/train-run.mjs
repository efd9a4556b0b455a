// train-run.mjs - the Train panel's run: the state (idle | loading | running | paused | stopped
// | done), the messages of the training worker (wasm/worker.mjs), the data sent to it, start,
// pause/resume, stop and reset, the trained weights handed to the other panels, and the run
// saved in IndexedDB (run-store.mjs) to be resumed after a reload. It draws nothing: the view
// (train.mjs) is told through `view`.
import { smoother } from '../charts.mjs';
import * as store from '../run-store.mjs';
import { newRun, rowNumbers, keepCheckpoint, savedRecord, resumable, busyOf, startMessage,
  resumeMessage } from './train-helpers.mjs';

// services: { i18n, errors, models, data, training }; form: train-form.mjs; view: { charts
// (train-charts.mjs), state(), progress(), downloads(), clearCurves(), showSaved(), hideSaved(),
// workerState(s) }.
export function createTrainRun({ i18n, errors, models, data, training }, form, view) {
  const t = i18n.t;
  // IndexedDB writes in the order they were asked for (a save, then the delete at 'done')
  let storeQueue = Promise.resolve();
  const queued = (f) => (storeQueue = storeQueue.then(f, f));
  const saveRun = (r) => queued(() => store.saveRun(r));
  const deleteRun = () => queued(() => store.deleteRun());
  const loadRun = () => queued(() => store.loadRun());

  let state = 'idle';
  let run = null;              // { models, settings, logs: {kind: {batches: [], epochs: []}}, smooth, ips, csvColumns }
  let lastProgress = null;     // { epoch, batch, batches, step, eta } of the last batch
  let pausedAt = null;         // { epoch, batch, step, endOfEpoch } when the worker paused by itself
  let saved = null;            // a run saved in IndexedDB (reload, crash), offered for resuming
  const worker = () => training.worker();
  const tc = view.charts;

  function setState(s) {
    state = s;
    if (s !== 'paused') pausedAt = null;
    view.state();
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
    if (d.type === 'settings-table') { form.applyTable(d.settings, !run); return; }
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
        if (k === run.models[run.models.length - 1]) { lastProgress = { epoch: d.epoch, batch: d.batch, batches: d.batches, step: d.step, eta: d.eta }; view.progress(); }
        break;
      }
      case 'epoch': {
        const k = d.model;
        tc.plotEpoch(k, d.epoch, d.trainLoss, d.trainAcc, d.testLoss, d.testAcc);
        run.logs[k].epochs.push(d.csv);
        if (k === run.models[run.models.length - 1]) { syncWeights(); view.downloads(); }
        break;
      }
      case 'state':
        view.workerState(d.state);   // what the worker confirmed (tests wait for it)
        if (d.reason === 'pause-at') { pausedAt = d.at; form.clearPauseAt(); }
        if (d.state === 'stopped' || d.state === 'done') syncWeights();
        if (d.state === 'done') deleteRun();
        setState(d.state);
        if (d.state === 'done' || d.state === 'stopped') view.downloads();
        break;
      case 'weights': {
        const k = pendingWeights.get(d.id);
        if (!k) break;
        pendingWeights.delete(d.id);
        try { models.setWeights(k, d.bytes, { source: 'trained' }); } catch (e) { errors.show(e); }
        break;
      }
      case 'checkpoint':
        run.checkpoint = d.state;
        // the checkpoint after the last epoch is not worth keeping: 'done' follows
        if (keepCheckpoint(state, d.reason, lastProgress, run.settings.epochs)) saveRun(savedRecord(run, d.state, lastProgress, Date.now()));
        break;
      case 'error':
        if (d.command === 'data' || d.command === 'load-data') { run.onDataError?.(new Error(d.message)); break; }   // sendData reports it
        if (d.command) errors.show(d.message);
        else errors.show({ code: d.diverged ? 'train.err.divergedPaused' : 'train.err.diverged', vars: { msg: d.model ? `${d.model}: ${d.message}` : d.message } });
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

  // the training data of a run, to the worker; resolves once the worker has it
  async function sendData(w, trainSize, testSize, seed) {
    const d = await data.trainData({ trainSize, testSize, seed });   // seed: the user's set's split
    const ready = new Promise((resolve, reject) => { run.onData = resolve; run.onDataError = reject; });
    if (d.baseUrl) w.postMessage({ type: 'load-data', baseUrl: d.baseUrl, trainSize, testSize });
    else w.postMessage({ type: 'data', train: d.train, test: d.test }, [d.train.images.buffer, d.train.labels.buffer, d.test.images.buffer, d.test.labels.buffer]);
    await ready;
    return d;
  }
  // the worker, if there is one and no run is going on (else the error is shown)
  function idleWorker() {
    const w = listen();
    if (!w) { errors.show(t('train.err.worker')); return null; }
    if (busyOf(state).busy) { errors.show(t('train.err.busy')); return null; }
    return w;
  }
  function clearCurves() {
    tc.clear();
    lastProgress = null;
    view.clearCurves();
  }

  async function start() {
    errors.clear();
    const w = idleWorker();
    if (!w) return;
    let settings;
    try { settings = form.read(); } catch (e) { errors.show(e.message); return; }
    const chosen = form.models();
    tc.make();
    clearCurves();
    run = newRun(chosen, settings, { smoother });
    setState('loading');
    view.hideSaved();   // a saved run stays until the new one has its data
    try {
      const d = await sendData(w, settings.trainSize, settings.testSize, settings.seed);
      if (state !== 'loading') { view.showSaved(); return; }   // stopped meanwhile
      saved = null;
      deleteRun();
      const weights = {};
      if (form.finetune()) {
        for (const k of chosen) weights[k] = models.getWeights(k);
        // from weights: their reduction ratio and their SE blocks, whatever the form says
        const se = models.get('CNN_SE');
        if (se) settings.reduction = se.reduction;
        settings.sePositiveInit = false;
      }
      w.postMessage(startMessage(chosen, settings, form.finetune() ? weights : undefined, form.pauseAt(),
        { classes: d.classes || null, freezeConv: form.freezeConv() }));
      setState('running');
      view.progress();
    } catch (e) {
      setState('idle');
      view.showSaved();
      errors.show(e);
    }
  }

  // resume the saved run exactly: its settings, its curves, its checkpoint
  async function resumeSaved() {
    const rec = saved;
    if (!rec) { if (!listen()) errors.show(t('train.err.worker')); return; }
    const w = idleWorker();
    if (!w) return;
    errors.clear();
    form.show(rec);
    tc.make();
    clearCurves();
    run = newRun(rec.models, rec.settings, { logs: rec.logs, smoother });
    for (const k of rec.models) {
      for (const row of rec.logs[k].batches) { const c = rowNumbers(row); tc.plotBatch(k, c[2], c[3], c[4], c[5]); }
      for (const row of rec.logs[k].epochs) { const c = rowNumbers(row); tc.plotEpoch(k, c[0], c[1], c[2], c[3], c[4]); }
    }
    lastProgress = rec.progress;
    view.progress();
    view.hideSaved();
    setState('loading');
    try {
      await sendData(w, rec.checkpoint.data.nTrain, rec.checkpoint.data.nTest, rec.settings.seed);
      if (state !== 'loading') { view.showSaved(); return; }
      saved = null;
      w.postMessage(resumeMessage(rec.checkpoint, form.pauseAt()));
      setState('running');
    } catch (e) {
      setState('idle');
      view.showSaved();   // still saved: it can be resumed once the data loads
      errors.show(e);
    }
  }
  function offerSaved() {
    loadRun().then((rec) => { if (resumable(rec) && !run) { saved = rec; view.showSaved(); } });
  }

  return {
    get state() { return state; },
    get run() { return run; },
    get lastProgress() { return lastProgress; },
    get pausedAt() { return pausedAt; },
    get saved() { return saved; },
    listen, start, resumeSaved, offerSaved, setState,
    discardSaved() { saved = null; view.showSaved(); deleteRun(); },
    pauseOrResume() {
      const w = worker(); if (!w) return;
      if (state === 'running') { w.postMessage({ type: 'pause' }); setState('paused'); }
      else if (state === 'paused') { w.postMessage({ type: 'resume' }); setState('running'); }
    },
    stop() {
      const w = worker(); if (!w) return;
      if (state === 'loading') { setState('stopped'); return; }
      w.postMessage({ type: 'stop' });
    },
    // Reset clears the curves; a run saved in this browser is not deleted without asking: it
    // is offered again (Resume it, or Discard it).
    reset() {
      const w = worker();
      if (w && busyOf(state).live) w.postMessage({ type: 'stop' });
      run = null;
      clearCurves();
      setState('idle');
      view.downloads();
      errors.clear();
      offerSaved();
    },
    // During a run: more or fewer epochs, or another learning rate from the next batch on.
    sendLive() {
      if (!run || !busyOf(state).live) return;
      let s;
      try { s = form.read(); } catch (e) { errors.show(e.message); return; }
      const w = worker();
      if (!w) return;
      w.postMessage({ type: 'settings', settings: { epochs: s.epochs, lr: s.lr } });
      run.settings = { ...run.settings, epochs: s.epochs, lr: s.lr };
      view.progress();
    },
    sendPauseAt() {
      const w = worker();
      if (w && run && busyOf(state).live) w.postMessage({ type: 'settings', settings: { pauseAt: form.pauseAt() } });
    },
  };
}
