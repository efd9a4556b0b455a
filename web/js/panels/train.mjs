// train.mjs - the Train panel: settings, start/pause/resume/stop/reset of the training
// worker (wasm/worker.mjs), live curves of CNN and CNN_SE on shared charts, progress,
// CSV logs with the native program's columns, and weight export.

import { lineChart, smoother, COLORS } from '../charts.mjs';
import * as store from '../run-store.mjs';
import { el } from '../dom.mjs';
import { limitSelect } from '../data-sets.mjs';

const KINDS = ['CNN', 'CNN_SE'];
const BATCH_COLS = 'epoch,batch,step,loss,accuracy,lr,images_per_sec';
const EPOCH_COLS = 'epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds';

const strings = {
  en: {
    'train.title': 'Train',
    'train.intro': 'Train the plain CNN, the CNN with SE blocks, or both on the same batches (a race) and watch the curves. Everything runs in this tab, in a background thread. Epochs and learning rate can be changed while it trains.',
    'train.settings': 'Settings',
    'train.model': 'Model',
    'train.model.CNN': 'CNN',
    'train.model.CNN_SE': 'CNN_SE',
    'train.model.both': 'both (race)',
    'train.epochs': 'Epochs',
    'train.batch': 'Batch size',
    'train.lr': 'Learning rate',
    'train.trainSize': 'Training images',
    'train.testSize': 'Test images',
    'train.augment': 'Augmentation (random crop + flip)',
    'train.seed': 'Seed',
    'train.finetune': 'Start from the weights in use',
    'train.start': 'Start',
    'train.pause': 'Pause',
    'train.resume': 'Resume',
    'train.stop': 'Stop',
    'train.reset': 'Reset',
    'train.pauseAtEpochEnd': 'Pause at the end of this epoch',
    'train.state.pausedAt': 'Paused at the end of epoch {epoch}, as asked. Press Resume to continue.',
    'train.state.pausedAtBatch': 'Paused after batch {batch} of epoch {epoch}, as asked.',
    'train.state.idle': 'Ready.',
    'train.state.loading': 'Loading the training data…',
    'train.state.running': 'Training…',
    'train.state.paused': 'Paused.',
    'train.state.stopped': 'Stopped.',
    'train.state.done': 'Finished.',
    'train.progress': 'Epoch {epoch}/{epochs} · batch {batch}/{batches} · {ips} images/s · {eta} left',
    'train.legend.cnn': 'CNN (no attention)',
    'train.legend.se': 'CNN_SE (with SE blocks)',
    'train.legend': 'Faint line: each batch; bold line: smoothed (moving average). Epoch charts: solid = training set, dashed = test set.',
    'train.chart.loss': 'Loss per batch',
    'train.chart.acc': 'Accuracy per batch',
    'train.chart.eloss': 'Loss per epoch',
    'train.chart.eacc': 'Accuracy per epoch',
    'train.chart.lr': 'Learning rate',
    'train.chart.lr.caption': 'The learning rate halves when the test loss stops improving for a few epochs (ReduceLROnPlateau): look for the steps. A rate you set during the run shows here too.',
    'train.axis.step': 'batch (step)',
    'train.axis.epoch': 'epoch',
    'train.axis.loss': 'cross-entropy loss',
    'train.axis.acc': 'accuracy',
    'train.axis.lr': 'learning rate',
    'train.ds.raw': '{m} per batch',
    'train.ds.smooth': '{m} smoothed',
    'train.ds.train': '{m} train',
    'train.ds.test': '{m} test',
    'train.export': 'Export',
    'train.export.caption': 'Logs have the same columns as the command-line program (excite train). Weights are safetensors files the command-line program and PyTorch can load.',
    'train.export.batches': '{m} batch log (CSV)',
    'train.export.epochs': '{m} epoch log (CSV)',
    'train.export.weights': '{m} weights (.safetensors)',
    'train.err.settings': 'Check the settings: {what}.',
    'train.err.busy': 'Training is already running.',
    'train.err.worker': 'The training thread is not available.',
    'train.err.diverged': 'Training stopped: {msg}',
    'train.err.divergedPaused': 'Training paused: {msg} Lower the learning rate above and press Resume (the curves and the model so far are kept).',
    'train.empty': 'Press Start: the curves appear here while the models train.',
    'train.progressLabel': 'Training progress',
    'train.saved': 'A training run was interrupted: {models}, epoch {epoch} of {epochs}, batch {batch} of {batches}, saved {time}. It can continue exactly where it stopped.',
    'train.saved.resume': 'Resume that run',
    'train.saved.discard': 'Discard it',
    'train.saved.note': 'The run is saved in this browser at every epoch end and when you pause, so a reload does not lose it.',
  },
  zh: {
    'train.title': '训练',
    'train.intro': '训练普通 CNN、带 SE 模块的 CNN，或让两者在相同的批次上同时训练（比赛），观察曲线。一切都在这个标签页的后台线程中运行。训练过程中也可以修改训练轮数和学习率。',
    'train.settings': '设置',
    'train.model': '模型',
    'train.model.CNN': 'CNN',
    'train.model.CNN_SE': 'CNN_SE',
    'train.model.both': '两个（比赛）',
    'train.epochs': '训练轮数',
    'train.batch': '批大小',
    'train.lr': '学习率',
    'train.trainSize': '训练图片数',
    'train.testSize': '测试图片数',
    'train.augment': '数据增强（随机裁剪 + 翻转）',
    'train.seed': '随机种子',
    'train.finetune': '从当前使用的权重开始',
    'train.start': '开始',
    'train.pause': '暂停',
    'train.resume': '继续',
    'train.stop': '停止',
    'train.reset': '重置',
    'train.pauseAtEpochEnd': '在本轮结束时暂停',
    'train.state.pausedAt': '已按要求在第 {epoch} 轮结束时暂停。点“继续”接着训练。',
    'train.state.pausedAtBatch': '已按要求在第 {epoch} 轮第 {batch} 批之后暂停。',
    'train.state.idle': '就绪。',
    'train.state.loading': '正在加载训练数据…',
    'train.state.running': '训练中…',
    'train.state.paused': '已暂停。',
    'train.state.stopped': '已停止。',
    'train.state.done': '训练完成。',
    'train.progress': '第 {epoch}/{epochs} 轮 · 第 {batch}/{batches} 批 · 每秒 {ips} 张 · 剩余 {eta}',
    'train.legend.cnn': 'CNN（无注意力）',
    'train.legend.se': 'CNN_SE（带 SE 模块）',
    'train.legend': '浅色细线：每一批；粗线：平滑后（滑动平均）。每轮图表：实线 = 训练集，虚线 = 测试集。',
    'train.chart.loss': '每批的损失',
    'train.chart.acc': '每批的准确率',
    'train.chart.eloss': '每轮的损失',
    'train.chart.eacc': '每轮的准确率',
    'train.chart.lr': '学习率',
    'train.chart.lr.caption': '当测试损失连续几轮不再下降时，学习率减半（ReduceLROnPlateau）：注意图中的台阶。训练中手动修改的学习率也会显示在这里。',
    'train.axis.step': '批次（步）',
    'train.axis.epoch': '轮',
    'train.axis.loss': '交叉熵损失',
    'train.axis.acc': '准确率',
    'train.axis.lr': '学习率',
    'train.ds.raw': '{m} 每批',
    'train.ds.smooth': '{m} 平滑',
    'train.ds.train': '{m} 训练集',
    'train.ds.test': '{m} 测试集',
    'train.export': '导出',
    'train.export.caption': '日志的列与命令行程序（excite train）相同。权重是 safetensors 文件，命令行程序和 PyTorch 都能加载。',
    'train.export.batches': '{m} 每批日志（CSV）',
    'train.export.epochs': '{m} 每轮日志（CSV）',
    'train.export.weights': '{m} 权重（.safetensors）',
    'train.err.settings': '请检查设置：{what}。',
    'train.err.busy': '训练已经在进行中。',
    'train.err.worker': '训练线程不可用。',
    'train.err.diverged': '训练已停止：{msg}',
    'train.err.divergedPaused': '训练已暂停：{msg} 请在上方调低学习率，然后点“继续”（已有的曲线和模型都会保留）。',
    'train.empty': '点击“开始”：训练时曲线会出现在这里。',
    'train.progressLabel': '训练进度',
    'train.saved': '有一次训练被中断了：{models}，第 {epoch}/{epochs} 轮，第 {batch}/{batches} 批，保存于 {time}。可以从中断处精确地继续。',
    'train.saved.resume': '继续那次训练',
    'train.saved.discard': '丢弃',
    'train.saved.note': '训练在每轮结束和暂停时都会保存在此浏览器中，刷新页面不会丢失。',
  },
};

function fmtTime(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
// printf's %.6g, so the CSV files read like the native program's
function g6(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= 6) {
    const [m, x] = v.toExponential(5).split('e');
    const n = Number(x);
    return `${m.replace(/\.?0+$/, '')}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(6)));
}
const f6 = (v) => (Number.isFinite(v) ? v.toFixed(6) : String(v));

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
  const epochs = el('input', { type: 'number', min: '1', max: '200', step: '1', value: '3', name: 'epochs' });
  const batch = sel('batch', [16, 32, 64, 128, 256], 64);
  const lr = el('input', { type: 'number', min: '0.000001', max: '100', step: 'any', value: '0.001', name: 'lr' });
  const trainSize = sel('train-size', [1000, 2000, 5000, 10000, 20000, 50000], 5000);
  const testSize = sel('test-size', [500, 1000, 2000, 10000], 1000);
  const augment = el('input', { type: 'checkbox', name: 'augment' }); augment.checked = true;
  const seed = el('input', { type: 'number', min: '0', max: '2147483647', step: '1', value: String(ctx.state.getInt('seed', 42)), name: 'seed' });
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

  // ---- charts
  const chartCard = (titleKey, testid, cls = 'chart-box') => {
    const c = el('canvas', testid ? { testid, role: 'img' } : { role: 'img' });
    c.dataset.i18nAria = titleKey;
    const empty = el('p', { class: 'chart-empty', i18n: 'train.empty' });
    const box = el('div', { class: cls }, c, empty);
    const card = el('div', { class: 'card' }, el('h3', { i18n: titleKey }), box);
    return { c, card };
  };
  const lossC = chartCard('train.chart.loss', 'loss-chart');
  const accC = chartCard('train.chart.acc', 'acc-chart');
  const elossC = chartCard('train.chart.eloss', 'epoch-loss-chart', 'chart-box short');
  const eaccC = chartCard('train.chart.eacc', 'epoch-acc-chart', 'chart-box short');
  const lrC = chartCard('train.chart.lr', 'lr-chart', 'chart-box short');
  lrC.card.append(el('p', { class: 'caption', i18n: 'train.chart.lr.caption' }));
  const legendP = el('div', { class: 'legend-line' },
    el('span', {}, el('span', { class: 'swatch cnn' }), el('span', { i18n: 'train.legend.cnn' })),
    el('span', {}, el('span', { class: 'swatch cnn_se' }), el('span', { i18n: 'train.legend.se' })),
    el('span', { i18n: 'train.legend' }));

  const exportCard = el('div', { class: 'card' }, el('h3', { i18n: 'train.export' }), el('p', { class: 'caption', i18n: 'train.export.caption' }));
  const downloads = el('div', { class: 'downloads' });
  exportCard.append(downloads);

  root.append(savedCard, setCard, legendP,
    el('div', { class: 'grid2' }, lossC.card, accC.card),
    el('div', { class: 'grid3' }, elossC.card, eaccC.card, lrC.card),
    exportCard);

  const batchSets = KINDS.flatMap((k) => [
    { key: `${k}.raw`, color: COLORS[k], raw: true },
    { key: `${k}.smooth`, color: COLORS[k] },
  ]);
  const epochSets = KINDS.flatMap((k) => [
    { key: `${k}.train`, color: COLORS[k] },
    { key: `${k}.test`, color: COLORS[k], dashed: true },
  ]);
  let charts = null;
  function makeCharts() {
    if (charts || !globalThis.Chart) return;
    charts = {
      loss: lineChart(lossC.c, { datasets: batchSets, legend: false }),
      acc: lineChart(accC.c, { datasets: batchSets, legend: false, yMin: 0, yMax: 1 }),
      eloss: lineChart(elossC.c, { datasets: epochSets, points: true, xInteger: true }),
      eacc: lineChart(eaccC.c, { datasets: epochSets, points: true, yMin: 0, yMax: 1, xInteger: true }),
      lr: lineChart(lrC.c, { datasets: KINDS.map((k) => ({ key: k, color: COLORS[k], stepped: true, dashed: k === 'CNN_SE' })), yMin: 0 }),   // dashed: both stay visible when equal
    };
    labelCharts();
  }
  function labelCharts() {
    if (!charts) return;
    const lab = (f) => Object.fromEntries(KINDS.flatMap((k) => f(k)));
    const batchLabels = lab((k) => [[`${k}.raw`, t('train.ds.raw', { m: k })], [`${k}.smooth`, t('train.ds.smooth', { m: k })]]);
    const epochLabels = lab((k) => [[`${k}.train`, t('train.ds.train', { m: k })], [`${k}.test`, t('train.ds.test', { m: k })]]);
    charts.loss.setLabels(batchLabels, { xTitle: t('train.axis.step'), yTitle: t('train.axis.loss') });
    charts.acc.setLabels(batchLabels, { xTitle: t('train.axis.step'), yTitle: t('train.axis.acc') });
    charts.eloss.setLabels(epochLabels, { xTitle: t('train.axis.epoch'), yTitle: t('train.axis.loss') });
    charts.eacc.setLabels(epochLabels, { xTitle: t('train.axis.epoch'), yTitle: t('train.axis.acc') });
    charts.lr.setLabels({ CNN: 'CNN', CNN_SE: 'CNN_SE' }, { xTitle: t('train.axis.step'), yTitle: t('train.axis.lr') });
    for (const c of [lossC, accC, elossC, eaccC, lrC]) c.c.setAttribute('aria-label', t(c.c.dataset.i18nAria));
  }

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
    const total = run.settings.epochs * p.batches;
    const done = (p.epoch - 1) * p.batches + p.batch;
    bar.value = total ? done / total : 0;
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
        b1.addEventListener('click', () => download(`excite-${k.toLowerCase()}-batches.csv`, [BATCH_COLS, ...log.batches].join('\n') + '\n', 'text/csv'));
        downloads.append(b1);
        if (log.epochs.length) {
          const b2 = el('button', { type: 'button', class: 'secondary' }); b2.textContent = t('train.export.epochs', { m: k });
          b2.addEventListener('click', () => download(`excite-${k.toLowerCase()}-epochs.csv`, [EPOCH_COLS, ...log.epochs].join('\n') + '\n', 'text/csv'));
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

  function plotBatch(k, step, loss, acc, lrv) {
    if (!charts) makeCharts();
    if (!run.started) { run.started = true; setEmpty(false); }
    const sm = run.smooth[k];
    charts.loss.push(`${k}.raw`, step, loss);
    charts.loss.push(`${k}.smooth`, step, sm.loss.next(loss));
    charts.acc.push(`${k}.raw`, step, acc);
    charts.acc.push(`${k}.smooth`, step, sm.acc.next(acc));
    charts.lr.push(k, step, lrv);
  }
  function plotEpoch(k, epoch, trainLoss, trainAcc, testLoss, testAcc) {
    if (!charts) makeCharts();
    charts.eloss.push(`${k}.train`, epoch, trainLoss);
    charts.eloss.push(`${k}.test`, epoch, testLoss);
    charts.eacc.push(`${k}.train`, epoch, trainAcc);
    charts.eacc.push(`${k}.test`, epoch, testAcc);
  }

  function onMessage(ev) {
    const d = ev.data || {};
    if (!run && d.type !== 'weights') return;
    switch (d.type) {
      case 'data-ready':
        run.onData?.(d);
        break;
      case 'batch': {
        const k = d.model;
        const acc = d.acc ?? d.accuracy;
        plotBatch(k, d.step, d.loss, acc, d.lr);
        run.ips[k] = d.imgPerSec ?? d.imagesPerSec;
        run.logs[k].batches.push([d.epoch, d.batch, d.step, f6(d.loss), f6(acc), g6(d.lr), (d.imgPerSec ?? d.imagesPerSec ?? 0).toFixed(1)].join(','));
        if (k === run.models[run.models.length - 1]) { lastProgress = { epoch: d.epoch, batch: d.batch, batches: d.batches, step: d.step, eta: d.eta }; renderProgress(); }
        break;
      }
      case 'epoch': {
        const k = d.model;
        plotEpoch(k, d.epoch, d.trainLoss, d.trainAcc, d.testLoss, d.testAcc);
        run.logs[k].epochs.push([d.epoch, f6(d.trainLoss), f6(d.trainAcc), f6(d.testLoss), f6(d.testAcc), g6(d.lr), (d.seconds ?? 0).toFixed(3)].join(','));
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
        if (state !== 'done' && !(d.reason === 'epoch' && lastProgress && lastProgress.epoch >= run.settings.epochs && lastProgress.batch >= lastProgress.batches)) saveRun({ version: 1, savedAt: Date.now(), checkpoint: d.state, settings: run.settings, models: run.models, logs: run.logs, progress: lastProgress });
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
    if (w && listening !== w) { w.addEventListener('message', onMessage); listening = w; }
    return w;
  }

  function readSettings() {
    const n = (x) => Number(x.value);
    const s = {
      epochs: n(epochs), batchSize: n(batch), lr: n(lr), augment: augment.checked, seed: n(seed),
      trainSize: n(trainSize), testSize: n(testSize), weightDecay: 0, dropout: 0.5, plateauFactor: 0.5, plateauPatience: 3,
    };
    const bad = [];
    if (!Number.isInteger(s.epochs) || s.epochs < 1 || s.epochs > 200) bad.push(t('train.epochs') + ' 1–200');
    if (!(s.lr > 0 && s.lr <= 100)) bad.push(t('train.lr') + ' (0, 100]');   // too high on purpose is allowed: the divergence guard stops it
    if (!Number.isInteger(s.seed) || s.seed < 0) bad.push(t('train.seed') + ' ≥ 0');
    if (bad.length) throw new Error(t('train.err.settings', { what: bad.join(', ') }));
    return s;
  }
  const chosenModels = () => {
    const v = Object.entries(radios).find(([, r]) => r.checked)?.[0] || 'both';
    return v === 'both' ? ['CNN', 'CNN_SE'] : [v];
  };
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

  const setEmpty = (on) => { for (const p of root.querySelectorAll('.chart-empty')) p.hidden = !on; };
  function clearCurves() {
    if (charts) for (const c of Object.values(charts)) c.clear();
    setEmpty(true);
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
    makeCharts();
    clearCurves();
    run = {
      models, settings, ips: {},
      logs: Object.fromEntries(KINDS.map((k) => [k, { batches: [], epochs: [] }])),
      smooth: Object.fromEntries(KINDS.map((k) => [k, { loss: smoother(0.9), acc: smoother(0.9) }])),
    };
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
    if (rec && rec.version === 1 && rec.checkpoint && !run) { saved = rec; showSaved(); }
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
    makeCharts();
    clearCurves();
    run = {
      models: rec.models, settings: st, ips: {}, logs: rec.logs,
      smooth: Object.fromEntries(KINDS.map((k) => [k, { loss: smoother(0.9), acc: smoother(0.9) }])),
    };
    for (const k of rec.models) {
      for (const row of rec.logs[k].batches) { const c = row.split(',').map(Number); plotBatch(k, c[2], c[3], c[4], c[5]); }
      for (const row of rec.logs[k].epochs) { const c = row.split(',').map(Number); plotEpoch(k, c[0], c[1], c[2], c[3], c[4]); }
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
    loadRun().then((rec) => { if (rec && rec.version === 1 && rec.checkpoint && !run) { saved = rec; showSaved(); } });
  });

  setState('idle');
  renderProgress();
  renderDownloads();

  const instance = {
    update(what) {
      if (what === 'shown') { makeCharts(); listen(); }
      if (what === 'lang-changed') { setState(state); renderProgress(); labelCharts(); renderDownloads(); showSaved(); }
      if (what === 'models-changed') renderDownloads();
      if (what === 'data-changed' || what === 'lang-changed') renderData();
    },
    get state() { return state; },
    get charts() { return charts; },
  };
  ctx.events.addEventListener('ready', () => { listen(); renderDownloads(); });
  return instance;
}

export default { id: 'train', title: { en: 'Train', zh: '训练' }, mount };
