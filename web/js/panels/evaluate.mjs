// evaluate.mjs - the Evaluate panel: both models on the same test images, side by side:
// accuracy, per-class accuracy, confusion matrices and the most confident mistakes.
// The core evaluates (web/js/eval-worker.mjs, off the main thread); evaluation.mjs gathers
// what is shown.

import { barChart, COLORS, alpha } from '../charts.mjs';
import { css, colorbarElement } from '../colormap.mjs';
import { chwToCanvas } from '../images.mjs';
import { el } from '../dom.mjs';
import { limitSelect } from '../data-sets.mjs';
import { pairedDifference, classAccuracy, rowShare, bothTrained } from '../evaluation.mjs';
import { loadStudy } from '../study-data.mjs';

const KINDS = ['CNN', 'CNN_SE'];

const strings = {
  en: {
    'eval.title': 'Evaluate on the test set',
    'eval.intro': 'Run both models on test images they never saw in training (of the data set in use) and compare them.',
    'eval.size': 'Test images',
    'eval.run': 'Evaluate',
    'eval.running': 'Evaluating… {done} / {total}',
    'eval.stale': 'These results are for earlier weights: evaluate again.',
    'eval.acc': 'Test accuracy',
    'eval.accLine': '{acc} on {n} images (mean loss {loss})',
    'eval.perClass': 'Accuracy per class',
    'eval.perClass.caption': 'The share of each class’s test images that the model classifies correctly.',
    'eval.confusion': 'Confusion matrix: {m}',
    'eval.confusion.caption': 'Row: the true class; column: the class the model predicted. The diagonal holds the correct answers; bright cells off the diagonal are the classes it mixes up. Colour: share of the row (viridis, 0 to 100%).',
    'eval.true': 'true ↓ / predicted →',
    'eval.mistakes': 'Most confident mistakes: {m}',
    'eval.mistakes.caption': 'Test images the model got wrong while being most sure of itself. Click one to inspect it.',
    'eval.mistake': '{t} → {p} ({pp})',
    'eval.mistake.aria': 'true {t}, predicted {p} with {pp}; open in Inspect',
    'eval.none': 'No results yet.',
    'eval.axis': 'accuracy',
    'eval.share': 'share of the row (0 → 1)',
    'eval.diff': 'CNN_SE compared with CNN on the same images',
    'eval.diff.line': 'Accuracy difference {d} percentage points (± {se}): on {n} images, {b} are right only with CNN_SE and {c} only with CNN.',
    'eval.diff.clear': 'The difference is more than twice its standard error: on these images it is unlikely to be chance.',
    'eval.diff.unclear': 'The difference is within about two standard errors: on this many images it could be chance. Evaluate on more images, or train longer, before drawing a conclusion.',
    'eval.study': 'Does SE help? The full training',
    'eval.study.line': 'Both models trained on CIFAR-10 for {epochs} epochs ({how}), {n} seeds each, tested on all 10,000 test images: CNN {cnn}, CNN_SE {se} (mean ± standard deviation over the seeds).',
    'eval.study.shipped': 'the recipe of the pretrained weights: crop, flip, scale jitter and mild blur; seed 1 gave the pretrained files',
    'eval.study.other': 'crop, flip, scale jitter and blur, more of both than the pretrained weights had',
    'eval.study.seed': 'Seed {seed}: {b} images only CNN_SE gets right, {c} only CNN; McNemar p = {p}.',
    'eval.study.note': 'McNemar’s test looks only at the images the two models disagree on: p is how often a split this lopsided would happen if neither model were better (below 0.05: rarely). The numbers are the model card’s (weights/README.md).',
    'eval.study.partial': 'The study is not complete yet: {n} of 3 seeds.',
  },
  zh: {
    'eval.title': '在测试集上评估',
    'eval.intro': '在训练中从未见过的测试图片（当前数据集的）上运行两个模型，并进行比较。',
    'eval.size': '测试图片数',
    'eval.run': '评估',
    'eval.running': '评估中… {done} / {total}',
    'eval.stale': '这些结果对应的是之前的权重：请重新评估。',
    'eval.acc': '测试准确率',
    'eval.accLine': '{n} 张图片上为 {acc}（平均损失 {loss}）',
    'eval.perClass': '每个类别的准确率',
    'eval.perClass.caption': '每个类别的测试图片中被模型正确分类的比例。',
    'eval.confusion': '混淆矩阵：{m}',
    'eval.confusion.caption': '行：真实类别；列：模型预测的类别。对角线上是正确的答案；对角线外的亮格表示模型容易混淆的类别。颜色：占该行的比例（viridis，0 到 100%）。',
    'eval.true': '真实 ↓ / 预测 →',
    'eval.mistakes': '最自信的错误：{m}',
    'eval.mistakes.caption': '模型判断错误但最有把握的测试图片。点击可在“观察”中查看。',
    'eval.mistake': '{t} → {p}（{pp}）',
    'eval.mistake.aria': '真实类别 {t}，预测为 {p}，概率 {pp}；在“观察”中打开',
    'eval.none': '还没有结果。',
    'eval.axis': '准确率',
    'eval.share': '占该行的比例（0 → 1）',
    'eval.diff': '在相同图片上比较 CNN_SE 与 CNN',
    'eval.diff.line': '准确率相差 {d} 个百分点（± {se}）：在 {n} 张图片中，有 {b} 张只有 CNN_SE 判断正确，{c} 张只有 CNN 判断正确。',
    'eval.diff.clear': '差异超过其标准误差的两倍：在这些图片上，它不太可能是偶然的。',
    'eval.diff.unclear': '差异在大约两个标准误差之内：在这么多图片上，它可能只是偶然。在下结论之前，请在更多图片上评估，或训练更久。',
    'eval.study': 'SE 有帮助吗？完整训练的结果',
    'eval.study.line': '两个模型都在 CIFAR-10 上训练 {epochs} 轮（{how}），每个模型 {n} 个随机种子，并在全部 10,000 张测试图片上测试：CNN {cnn}，CNN_SE {se}（各种子的平均值 ± 标准差）。',
    'eval.study.shipped': '预训练权重的训练方案：随机裁剪、翻转、缩放抖动和轻微模糊；种子 1 得到的就是预训练文件',
    'eval.study.other': '随机裁剪、翻转、缩放抖动和模糊，两者都比预训练权重用得多',
    'eval.study.seed': '种子 {seed}：有 {b} 张图片只有 CNN_SE 判断正确，{c} 张只有 CNN 判断正确；McNemar p = {p}。',
    'eval.study.note': 'McNemar 检验只看两个模型意见不同的图片：p 表示如果两个模型一样好，出现这样一边倒的分布的频率（低于 0.05：很少）。这些数字来自模型卡（weights/README.md）。',
    'eval.study.partial': '研究尚未完成：3 个种子中已有 {n} 个。',
  },
};

const pct = (p) => `${(p * 100).toFixed(1)}%`;

function mount(root, services) {
  services.i18n.addStrings(strings);
  const t = services.i18n.t;
  const size = el('select', { id: 'eval-size' });
  for (const n of [500, 1000, 2000, 5000, 10000]) { const o = el('option', { value: String(n), text: String(n) }); if (n === 1000) o.selected = true; size.append(o); }
  const runB = el('button', { type: 'button', i18n: 'eval.run', testid: 'eval-run' });
  const status = el('p', { class: 'small', 'aria-live': 'polite' });
  // which CIFAR-10 the test images come from (sizes it cannot hold are disabled)
  const dataNote = el('p', { class: 'caption', testid: 'eval-data' });
  const renderData = () => {
    const d = services.data.inUse();
    dataNote.textContent = d ? t('app.data.using', { set: d.label }) : '';
    if (d) limitSelect(size, d.test);
  };
  const head = el('div', { class: 'card' }, el('h2', { i18n: 'eval.title' }), el('p', { class: 'caption', i18n: 'eval.intro' }), dataNote,
    el('div', { class: 'row' }, el('label', { for: 'eval-size' }, el('span', { i18n: 'eval.size' })), size, runB), status);
  const accRow = el('div', { class: 'grid2 keep2' });
  const diffCard = el('div', { class: 'card', testid: 'eval-difference' });
  const perClassC = el('canvas', { role: 'img' });
  perClassC.dataset.i18nAria = 'eval.perClass';
  const perClassCard = el('div', { class: 'card' }, el('h3', { i18n: 'eval.perClass' }), el('div', { class: 'chart-box' }, perClassC), el('p', { class: 'caption', i18n: 'eval.perClass.caption' }));
  const confRow = el('div', { class: 'grid2' });
  const mistRow = el('div', { class: 'grid2' });
  const out = el('div', { testid: 'eval-results' }, accRow, diffCard, perClassCard, confRow, mistRow);
  out.hidden = true;
  // the full-schedule study (web/data/full-study.json), hidden if it cannot be loaded
  const studyCard = el('div', { class: 'card', testid: 'eval-study' });
  studyCard.hidden = true;
  let study = null;
  loadStudy('full-study').then((s) => { study = s; renderStudy(); }).catch(() => {});
  root.append(head, out, studyCard);

  let worker = null, reqId = 0, result = null, testSet = null, stale = false, chart = null, autoRan = false, visible = false;

  function render() {
    if (!result) { out.hidden = true; return; }
    out.hidden = false;
    accRow.replaceChildren(); confRow.replaceChildren(); mistRow.replaceChildren();
    for (const k of KINDS) {
      const r = result[k];
      if (!r) continue;
      const card = el('div', { class: 'card' }, el('h3', { text: `${t('eval.acc')}: ${k}` }),
        el('p', { class: 'eval-acc', text: pct(r.accuracy) }),
        el('p', { class: 'small', text: t('eval.accLine', { acc: pct(r.accuracy), n: r.n, loss: r.loss.toFixed(3) }) }));
      card.querySelector('.eval-acc').style.color = COLORS[k];
      accRow.append(card);
      // confusion matrix
      const table = el('table', { class: 'confusion' });
      const cap = el('caption', { class: 'visually-hidden', text: t('eval.confusion', { m: k }) });
      const hr = el('tr', {}, el('th', { class: 'small', text: '' }));
      // the classes of the set in use (the model may have more outputs than a user's set has classes)
      const K = Math.min(r.classTotal.length, services.data.classNames().length);
      for (let c = 0; c < K; c++) hr.append(el('th', { class: 'colh', scope: 'col', text: services.i18n.className(c) }));
      table.append(cap, el('thead', {}, hr));
      const body = el('tbody');
      for (let y = 0; y < K; y++) {
        const tr = el('tr', {}, el('th', { class: 'row', scope: 'row', text: services.i18n.className(y) }));
        for (let p = 0; p < K; p++) {
          const v = r.confusion[y * r.classTotal.length + p], f = rowShare(r, y, p);
          const td = el('td', { text: String(v), title: `${services.i18n.className(y)} → ${services.i18n.className(p)}: ${v} (${pct(f)})` });
          td.style.background = css('viridis', f);
          td.style.color = f > 0.55 ? '#111' : '#fff';
          if (y === p) td.style.fontWeight = '700';
          tr.append(td);
        }
        body.append(tr);
      }
      table.append(body);
      confRow.append(el('div', { class: 'card' }, el('h3', { text: t('eval.confusion', { m: k }) }),
        el('p', { class: 'small muted', text: t('eval.true') }), el('div', { class: 'confusion-wrap' }, table),
        colorbarElement({ min: 0, max: 1, map: 'viridis', label: t('eval.share') }),
        el('p', { class: 'caption', i18n: 'eval.confusion.caption', text: t('eval.confusion.caption') })));
      // mistakes
      const grid = el('div', { class: 'mistakes' });
      for (const m of r.mistakes) {
        const vars = { t: services.i18n.className(m.label), p: services.i18n.className(m.pred), pp: pct(m.p) };
        // the accessible name starts with the visible text (WCAG 2.5.3), then says what it means
        const b = el('button', { type: 'button' });
        const cv = chwToCanvas(testSet.images, m.index * 3072);
        cv.className = 'pixelated';
        cv.setAttribute('aria-hidden', 'true');
        b.append(cv, el('span', { text: t('eval.mistake', vars) }), el('span', { class: 'visually-hidden', text: ` (${t('eval.mistake.aria', vars)})` }));
        b.addEventListener('click', () => { services.image.set({ index: m.index }).then(() => services.page.showPanel('inspect')).catch((e) => services.errors.show(e)); });
        grid.append(b);
      }
      mistRow.append(el('div', { class: 'card' }, el('h3', { text: t('eval.mistakes', { m: k }) }), el('p', { class: 'caption', text: t('eval.mistakes.caption') }), grid));
    }
    renderDiff();
    const labels = services.data.classNames().slice();
    const datasets = KINDS.filter((k) => result[k]).map((k) => ({
      label: k, data: classAccuracy(result[k]).slice(0, labels.length),
      backgroundColor: alpha(COLORS[k], 0.85), borderColor: COLORS[k],
    }));
    if (chart) chart.destroy();
    if (globalThis.Chart) chart = barChart(perClassC, { labels, datasets, min: 0, max: 1, title: t('eval.axis') });
    status.textContent = stale ? t('eval.stale') : '';
  }

  // Paired comparison on the same images (evaluation.mjs): can a class tell whether a gap of
  // a few tenths of a point means anything on this many images?
  function renderDiff() {
    const r = pairedDifference(result.CNN, result.CNN_SE);
    diffCard.replaceChildren();
    diffCard.hidden = !r;
    if (!r) return;
    const pts = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}`;
    diffCard.append(el('h3', { text: t('eval.diff') }),
      el('p', { text: t('eval.diff.line', { d: pts(r.d), se: (r.se * 100).toFixed(1), n: r.n, b: r.b, c: r.c }) }),
      el('p', { class: 'caption', text: t(r.clear ? 'eval.diff.clear' : 'eval.diff.unclear') }));
  }

  function renderStudy() {
    if (!study) return;
    const { CNN: a, CNN_SE: b } = study.models;
    const ms = (m) => `${(m.mean * 100).toFixed(2)}${m.sd === null ? '' : ` ± ${(m.sd * 100).toFixed(2)}`}%`;
    studyCard.replaceChildren(el('h3', { text: t('eval.study') }),
      el('p', { text: t('eval.study.line', { epochs: study.epochs, how: t(study.recipe_name === 'shipped' ? 'eval.study.shipped' : 'eval.study.other'), n: Math.min(a.runs, b.runs), cnn: ms(a), se: ms(b) }) }),
      el('ul', {}, ...study.paired.map((p) => el('li', { text: t('eval.study.seed', { seed: p.seed, b: p.b, c: p.c, p: p.p_text }) }))),
      ...(study.complete ? [] : [el('p', { class: 'caption', text: t('eval.study.partial', { n: study.paired.length }) })]),
      el('p', { class: 'caption', text: t('eval.study.note') }));
    studyCard.hidden = false;
  }

  async function run() {
    services.errors.clear();
    const n = Number(size.value);
    runB.disabled = true;
    try {
      testSet = await services.data.testSet(n);
      const m = Math.min(n, testSet.n);
      const weights = {};
      for (const k of KINDS) weights[k] = services.models.getWeights(k);
      if (!worker) worker = new Worker(new URL('../eval-worker.mjs', import.meta.url), { type: 'module' });
      const id = ++reqId;
      status.textContent = t('eval.running', { done: 0, total: m * 2 });
      const res = await new Promise((resolve, reject) => {
        const onMsg = (e) => {
          const d = e.data;
          if (d.id !== id) return;
          if (d.type === 'progress') status.textContent = t('eval.running', { done: d.done, total: d.total });
          else { worker.removeEventListener('message', onMsg); if (d.type === 'result') resolve(d.results); else reject(new Error(d.message)); }
        };
        worker.addEventListener('message', onMsg);
        worker.addEventListener('error', (e) => reject(new Error(e.message || 'evaluation worker failed')), { once: true });
        worker.postMessage({ type: 'eval', id, images: testSet.images.slice(0, m * 3072), labels: testSet.labels.slice(0, m), weights },
          Object.values(weights).map((w) => w.buffer));
      });
      result = res; stale = false;
      render();
      root.dataset.evaluated = String(id);
    } catch (e) {
      status.textContent = '';
      services.errors.show(e);
    } finally {
      runB.disabled = false;
    }
  }
  runB.addEventListener('click', run);

  services.events.addEventListener('panel-shown', (e) => { visible = e.detail.id === 'evaluate'; });
  return {
    update(what) {
      if (what === 'shown') {
        visible = true;
        const trained = bothTrained(services.models.info, KINDS);
        if (!autoRan && !result && trained) { autoRan = true; run(); }
      } else if (what === 'models-changed') {
        if (result) { stale = true; status.textContent = t('eval.stale'); }
        else if (visible && !autoRan && bothTrained(services.models.info, KINDS)) { autoRan = true; run(); }
      }
      else if (what === 'lang-changed') { render(); renderData(); renderStudy(); }
      else if (what === 'data-changed') renderData();
    },
  };
}

export default { id: 'evaluate', title: { en: 'Evaluate', zh: '评估' }, mount };
