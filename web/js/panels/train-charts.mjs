// train-charts.mjs - the Train panel's five charts (loss and accuracy per batch, per epoch, the
// learning rate) and their legend: built by createTrainCharts, drawn by Chart.js through
// charts.mjs once the panel is shown.
import { lineChart, COLORS } from '../charts.mjs';
import { el } from '../dom.mjs';
import { KINDS } from './train-helpers.mjs';

// t: the translation function; root: the panel (its .chart-empty notes). smoothOf(k): the
// run's smoothers of model k ({ loss, acc }).
export function createTrainCharts(t, root, smoothOf) {
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

  function plotBatch(k, step, loss, acc, lrv) {
    if (!charts) makeCharts();
    const sm = smoothOf(k);
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

  const setEmpty = (on) => { for (const p of root.querySelectorAll('.chart-empty')) p.hidden = !on; };
  let started = false;
  return {
    cards: [lossC.card, accC.card, elossC.card, eaccC.card, lrC.card], legend: legendP,
    make: makeCharts, label: labelCharts, setEmpty,
    plotBatch(k, step, loss, acc, lrv) {
      if (!started) { started = true; setEmpty(false); }
      plotBatch(k, step, loss, acc, lrv);
    },
    plotEpoch,
    clear() { if (charts) for (const c of Object.values(charts)) c.clear(); started = false; setEmpty(true); },
    get charts() { return charts; },
  };
}
