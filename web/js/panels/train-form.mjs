// train-form.mjs - the Train panel's settings form: its fields (limits and the batch size's and
// learning rate's defaults from the core's settings table, sent by the worker), reading and
// checking them (with the SE blocks' reduction ratio and start), the settings of a saved run shown as they were, which fields stay editable
// during a run (epochs, learning rate: onLive), the number of threads (onThreads; the results
// do not depend on it) and "Pause at the end of this epoch" (onPauseAt).
import { el } from '../dom.mjs';
import { defaultThreads } from '../../../wasm/excite.mjs';
import { limitSelect } from '../data-sets.mjs';
import { UI_DEFAULTS, MODEL_CHOICES, REDUCTIONS, formLimits, settingProblems, modelChoice, modelsOf, formValuesOf,
  problemsText, busyOf } from './train-helpers.mjs';

// services: { i18n, url }; onLive(): epochs or the learning rate changed; onPauseAt(): the
// "pause at the end of this epoch" box changed; onThreads(n): the threads setting changed.
export function createTrainForm({ i18n, url }, { onLive, onPauseAt, onThreads }) {
  const t = i18n.t;
  const sel = (name, opts, value) => {
    const s = el('select', { name });
    for (const o of opts) { const op = el('option', { value: String(o) }); op.textContent = String(o); if (String(o) === String(value)) op.selected = true; s.append(op); }
    return s;
  };
  const lab = (key, input) => { const l = el('label'); const sp = el('span', { i18n: key }); l.append(sp, input); return l; };
  const check = (input, key) => { const l = el('label', { class: 'check' }); l.append(input, el('span', { i18n: key })); return l; };

  const modelField = el('fieldset');
  modelField.append(el('legend', { class: 'visually-hidden', i18n: 'train.model' }), el('span', { i18n: 'train.model' }));
  const initialModel = modelChoice(url.get('model'));
  const radios = {};
  for (const v of MODEL_CHOICES) {
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
  const seed = el('input', { type: 'number', step: '1', value: String(url.getInt('seed', UI_DEFAULTS.seed)), name: 'seed' });
  // CNN_SE only: the reduction ratio R (C/R hidden units per SE block; the table's default,
  // the lesson's 16) and the SE blocks' non-negative start (no hidden unit starts dead).
  // Fine-tuning keeps the R of the weights in use (train-run.mjs), so the choice is locked.
  const reduction = sel('reduction', REDUCTIONS, 16);
  const sePositive = el('input', { type: 'checkbox', name: 'se-positive-init' });
  const finetune = el('input', { type: 'checkbox', name: 'finetune' });
  // with fine-tuning: train only fc1 and fc2 (the core's freeze_conv)
  const freezeConv = el('input', { type: 'checkbox', name: 'freeze-conv', disabled: '' });
  finetune.addEventListener('change', () => { freezeConv.disabled = !finetune.checked; if (!finetune.checked) freezeConv.checked = false; seOnly(); });
  // threads for training: 1 .. every core the browser reports (at most 16); the worker
  // uses fewer if its build has fewer (one without cross-origin isolation)
  const cores = defaultThreads();
  const threads = sel('threads', Array.from({ length: cores }, (_, i) => i + 1), threadsSetting(url, cores));
  const element = el('div', { class: 'settings' });
  element.append(modelField, lab('train.epochs', epochs), lab('train.batch', batch), lab('train.lr', lr),
    lab('train.trainSize', trainSize), lab('train.testSize', testSize), lab('train.seed', seed),
    lab('train.threads', threads), lab('train.reduction', reduction),
    check(augment, 'train.augment'), check(sePositive, 'train.sePositive'), check(finetune, 'train.finetune'), check(freezeConv, 'train.freezeConv'));
  const inputs = [...element.querySelectorAll('input, select')];
  // "pause at the end of this epoch": ticked before Start or a resume, the first epoch run
  const pauseAtEnd = el('input', { type: 'checkbox', name: 'pause-at-epoch-end', testid: 'train-pause-at-epoch-end' });
  const pauseAtLabel = check(pauseAtEnd, 'train.pauseAtEpochEnd');

  const choice = () => Object.entries(radios).find(([, r]) => r.checked)?.[0];
  // the SE settings apply only when CNN_SE trains (R: and not from weights)
  let busyNow = false;
  function seOnly() {
    const noSE = choice() === 'CNN';
    reduction.disabled = busyNow || noSE || finetune.checked;
    sePositive.disabled = busyNow || noSE || finetune.checked;
  }
  for (const r of Object.values(radios)) r.addEventListener('change', () => { url.set({ model: choice() }); seOnly(); });
  seOnly();
  seed.addEventListener('change', () => url.set({ seed: seed.value }));
  // During a run: more or fewer epochs, or another learning rate from the next batch on.
  epochs.addEventListener('change', onLive);
  // the worker resolves "this epoch" itself, so a tick between two batches cannot miss it
  pauseAtEnd.addEventListener('change', onPauseAt);
  lr.addEventListener('change', onLive);
  threads.addEventListener('change', () => { url.set({ threads: threads.value }); onThreads?.(Number(threads.value)); });

  // The core's settings table (the worker sends it): the form's limits and its checks. The
  // defaults are applied with the first table if setDefaults (no run yet).
  let table = null;
  function applyTable(tb, setDefaults) {
    const first = !table;
    table = tb;
    const lim = formLimits(tb);
    for (const [key, input] of [['epochs', epochs], ['lr', lr], ['seed', seed]]) {
      if (lim[key]) { input.min = String(lim[key].min); input.max = String(lim[key].max); }
    }
    if (first && lim.lr && setDefaults) lr.value = String(lim.lr.default);
    if (first && lim.batchSize && setDefaults) batch.value = String(lim.batchSize.default);
    if (first && lim.reduction && setDefaults) reduction.value = String(lim.reduction.default);
  }
  // The settings of the form; throws an Error with the translated problems.
  function read() {
    const n = (x) => Number(x.value);
    // the other settings (weight decay, dropout, the scheduler) are the core's defaults
    const s = { epochs: n(epochs), batchSize: n(batch), lr: n(lr), augment: augment.checked, seed: n(seed),
      reduction: n(reduction), sePositiveInit: sePositive.checked, trainSize: n(trainSize), testSize: n(testSize) };
    const bad = settingProblems(s, table);
    if (bad.length) throw new Error(problemsText(bad, t));
    return s;
  }
  // a saved run's settings, as they were
  function show(rec) {
    const v = formValuesOf(rec);
    epochs.value = v.epochs; batch.value = v.batchSize; lr.value = v.lr;
    augment.checked = v.augment; seed.value = v.seed; reduction.value = v.reduction; sePositive.checked = v.sePositiveInit;
    trainSize.value = v.trainSize; testSize.value = v.testSize;
    for (const [c, r] of Object.entries(radios)) r.checked = c === v.model;
  }
  // epochs and the learning rate stay editable during a run (sent to the worker on change)
  function setBusy(state) {
    const { busy, live } = busyOf(state);
    for (const i of inputs) i.disabled = busy && !(live && (i === epochs || i === lr)) && i !== threads;
    busyNow = busy;
    seOnly();
  }

  return {
    element, pauseAtLabel, applyTable, read, show, setBusy,
    models: () => modelsOf(choice() || 'both'),
    finetune: () => finetune.checked,
    freezeConv: () => finetune.checked && freezeConv.checked,
    pauseAt: () => (pauseAtEnd.checked ? { epochEnd: true } : null),
    clearPauseAt() { pauseAtEnd.checked = false; },
    // the sizes the data set d cannot hold are disabled
    // (the user's own set trains on all its training pictures: no sizes to choose)
    limitSizes(d) {
      const all = d.source === 'user';
      for (const s of [trainSize, testSize]) { const l = s.closest('label'); l.hidden = all; l.style.display = all ? 'none' : ''; }
      if (!all) { limitSelect(trainSize, d.train); limitSelect(testSize, d.test); }
    },
  };
}

// The threads the page trains with: ?threads=N (1 .. cores), else every core.
export function threadsSetting(url, cores = defaultThreads()) {
  const n = url.getInt('threads', cores);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, cores) : cores;
}
