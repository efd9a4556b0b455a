// train-helpers.mjs - the Train panel's logic that needs no DOM (tests/train_panel.test.mjs):
// the form's limits and checks from the core's settings table (ex.trainSettings, sent by
// the worker), the run record, the CSV files (rows made by the core, c/train.h), the saved-
// run record and when a checkpoint is worth keeping.

export const KINDS = ['CNN', 'CNN_SE'];

// What the form shows before the user changes it: teaching choices, not the core's defaults
// (those are the table's): 3 epochs (a lesson's minutes, not the program's 10), augmentation
// on, seed 42 (unless the URL has one). Batch size and learning rate are the table's defaults.
export const UI_DEFAULTS = { epochs: 3, augment: true, seed: 42 };

// The form's fields that are training settings, by their table key.
export const FORM_SETTINGS = ['epochs', 'batchSize', 'lr', 'seed', 'augment', 'reduction', 'sePositiveInit'];

// The reduction ratios the form offers (the dead-unit study's 4, 8, 16 and either side); every
// one leaves each block at least one hidden unit (ca1 has C = 32).
export const REDUCTIONS = [2, 4, 8, 16, 32];

const byKey = (table, key) => (table || []).find((s) => s.key === key) || null;

// { key: { min, max, default } } of the form's number fields, from the table. The seed's max
// is also kept to what a JS number (and the URL) holds exactly.
export function formLimits(table) {
  const out = {};
  for (const key of FORM_SETTINGS) {
    const s = byKey(table, key);
    if (!s) continue;
    out[key] = { min: s.min, max: key === 'seed' ? Math.min(s.max, Number.MAX_SAFE_INTEGER) : s.max, default: s.default };
  }
  return out;
}

// The problems of settings s by the table (the core's rule, ex.settingAccepts):
// [{ key, min, max }], empty if none. Without a table nothing is checked here (the worker
// checks with it anyway).
export function settingProblems(s, table) {
  const bad = [];
  for (const key of FORM_SETTINGS) {
    const d = byKey(table, key);
    if (!d || s[key] === undefined) continue;
    const v = s[key];
    let ok;
    if (d.type === 'bool') ok = typeof v === 'boolean';
    else if (!Number.isFinite(v)) ok = false;
    else if (d.type === 'float') ok = Math.fround(v) >= Math.fround(d.min) && Math.fround(v) <= Math.fround(d.max);
    else ok = Number.isInteger(v) && v >= d.min && v <= Math.min(d.max, Number.MAX_SAFE_INTEGER);
    if (!ok) bad.push({ key, min: d.min, max: d.max });
  }
  return bad;
}

// A new run: the logs hold the core's CSV rows per model (csvColumns arrive with the worker's
// 'run' event).
export function newRun(models, settings, { logs = null, smoother = null } = {}) {
  return {
    models, settings, ips: {}, csvColumns: null,
    logs: logs || Object.fromEntries(KINDS.map((k) => [k, { batches: [], epochs: [] }])),
    smooth: smoother ? Object.fromEntries(KINDS.map((k) => [k, { loss: smoother(0.9), acc: smoother(0.9) }])) : null,
  };
}

// The text of a CSV download: the header line, then the rows, each ending in '\n'.
export const csvText = (columns, rows) => [columns, ...rows].join('\n') + '\n';

// The numbers of a CSV row, to redraw the curves of a saved run.
export const rowNumbers = (row) => row.split(',').map(Number);

// A 'checkpoint' event: keep it in IndexedDB? Not once the run is done, nor the epoch
// checkpoint after the last epoch ('done' follows and deletes the record).
export function keepCheckpoint(state, reason, lastProgress, epochs) {
  if (state === 'done') return false;
  return !(reason === 'epoch' && lastProgress && lastProgress.epoch >= epochs && lastProgress.batch >= lastProgress.batches);
}

// The logs and settings are copied here, when the checkpoint arrives: the save itself waits for
// IndexedDB, and the batches trained meanwhile must not slip into the record.
export const savedRecord = (run, checkpoint, progress, now) =>
  ({ version: 1, savedAt: now, checkpoint, settings: structuredClone(run.settings), models: run.models.slice(),
     logs: structuredClone(run.logs), progress });

// A record from IndexedDB that can be offered for resuming.
export const resumable = (rec) => !!(rec && rec.version === 1 && rec.checkpoint);

// The model radios, in their order; 'both' | 'CNN' | 'CNN_SE' -> the models trained
export const MODEL_CHOICES = ['both', 'CNN', 'CNN_SE'];
export const modelsOf = (choice) => (choice === 'CNN' || choice === 'CNN_SE' ? [choice] : ['CNN', 'CNN_SE']);
// the radio of the URL's model= (anything else: both), and of a run's models
export const modelChoice = (v) => (['CNN', 'CNN_SE', 'both'].includes(v) ? v : 'both');
export const choiceOf = (models) => (models.length === 2 ? 'both' : models[0]);

// The form's values of a saved record (strings for the fields, as they were).
export function formValuesOf(rec) {
  const st = rec.settings;
  return { epochs: String(st.epochs), batchSize: String(st.batchSize), lr: String(st.lr), augment: !!st.augment,
    seed: String(st.seed), reduction: String(st.reduction ?? 16), sePositiveInit: !!st.sePositiveInit, trainSize: String(rec.checkpoint.data.nTrain), testSize: String(rec.checkpoint.data.nTest),
    model: choiceOf(rec.models) };
}

// The message of settingProblems' problems: "Epochs 0–100000, Learning rate …" in the
// translation t's train.err.settings.
const LABELS = { epochs: 'train.epochs', batchSize: 'train.batch', lr: 'train.lr', seed: 'train.seed', augment: 'train.augment',
  reduction: 'train.reduction', sePositiveInit: 'train.sePositive' };
export const problemsText = (problems, t) =>
  t('train.err.settings', { what: problems.map((p) => `${t(LABELS[p.key])} ${p.min}–${p.max}`).join(', ') });

// A panel state (idle | loading | running | paused | stopped | done): busy (no new run;
// the form is locked) and live (epochs and the learning rate can still change).
export function busyOf(s) {
  return { busy: s === 'running' || s === 'paused' || s === 'loading', live: s === 'running' || s === 'paused' };
}

// The worker's 'start' message of a new run: the settings without the data sizes, the weights
// to fine-tune (or undefined), pauseAt only when set. extra: { classes } (the user's class
// names: an N-class run), { freezeConv } (with weights). With classes, the weights are the
// run's init (convolution blocks and fc1 copied, fc2 new for the N classes), not its start.
export function startMessage(models, settings, weights, pauseAt, { classes = null, freezeConv = false } = {}) {
  const { trainSize: _a, testSize: _b, ...ws } = settings;
  const from = classes ? { init: weights, classes } : { weights };
  return { type: 'start', models, settings: ws, ...from, ...(weights && freezeConv ? { freezeConv: true } : {}), ...(pauseAt ? { pauseAt } : {}) };
}
// ... and of resuming the checkpoint of a saved run
export const resumeMessage = (checkpoint, pauseAt) => ({ type: 'start', resume: checkpoint, ...(pauseAt ? { pauseAt } : {}) });

// The progress bar and line of the last batch p ({ epoch, batch, batches, step, eta }).
export function progressOf(p, epochs) {
  const total = epochs * p.batches;
  const done = (p.epoch - 1) * p.batches + p.batch;
  return { fraction: total ? done / total : 0 };
}

export function fmtTime(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
