// page_helpers.test.mjs - the page's pure helpers, in Node without a DOM: the modules import
// without doing any work (no document, no window), and what they compute is right: the
// Evaluate panel's gathering of the core's chunk results and its paired comparison, the tab
// keys, the data source choice, message text, the image note, the engine line, argmax and
// the analysis cache key, the worker fallback, the chart wrapper's own series, and the
// Inspect panel's helpers (URL state, gallery pages and keys, embedded parts, SE order, scale),
// the SE anatomy panel's (?ca=, ?ch=, top and bottom channels, channel means, FC terms), the
// guided lesson's (?step=, grouped numbers, overhead texts, widest block, active channels, Grad-CAM scaling).
import { gatherChunks, pairedDifference, classAccuracy, rowShare, bothTrained } from '../web/js/evaluation.mjs';
import { tabAfterKey } from '../web/js/shell/tabs.mjs';
import { sourceFor } from '../web/js/data-sets.mjs';
import { messageText } from '../web/js/shell/messages.mjs';
import { imageNote } from '../web/js/shell/current-image.mjs';
import { backendText, weightsSource } from '../web/js/shell/modelbar.mjs';
import { argmax, analysisKey, KINDS } from '../web/js/shell/models.mjs';
import { fallbackBuild } from '../web/js/shell/training-worker.mjs';
import { embedLimitReasons } from '../web/js/shell/embed-dialog.mjs';
import { initialLang, PANEL_UPDATES } from '../web/js/app.mjs';
import { makeScale, coolwarm, viridis, fmt3 } from '../web/js/colormap.mjs';
import { CLASS_NAMES, className } from '../web/js/i18n.mjs';
import { CLASSES } from '../wasm/excite.mjs';
import * as inspectH from '../web/js/panels/inspect-helpers.mjs';
import * as anat from '../web/js/panels/anatomy-helpers.mjs';
import * as lessonH from '../web/js/lesson-helpers.mjs';
import { modelStats } from '../web/js/lesson-stats.mjs';
import { STEPS } from '../web/js/lesson.mjs';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const t = (k, v) => (v ? `${k}${JSON.stringify(v)}` : k);

check(typeof globalThis.document === 'undefined' && typeof globalThis.window === 'undefined',
  'app.mjs, the shell services, the colour kit and the helpers import in Node (no DOM touched at import time)');

// ---- evaluation: chunks of the core's results gathered
const chunk = (labels, preds, loss) => {
  const n = labels.length, classTotal = new Int32Array(10), classCorrect = new Int32Array(10), confusion = new Int32Array(100);
  const probs = new Float32Array(n * 10);
  let right = 0;
  labels.forEach((y, i) => {
    classTotal[y]++; confusion[y * 10 + preds[i]]++;
    if (preds[i] === y) { classCorrect[y]++; right++; }
    for (let c = 0; c < 10; c++) probs[i * 10 + c] = c === preds[i] ? 0.5 + i / 100 : 0.5 / 9;
  });
  return { n, loss, accuracy: right / n, classTotal, classCorrect, confusion, predictions: Uint8Array.from(preds), probs };
};
const labels = Uint8Array.from([0, 1, 2, 3, 4, 5]);
const g = gatherChunks([chunk([0, 1, 2], [0, 2, 2], 1.0), chunk([3, 4, 5], [1, 4, 0], 2.0)], labels, 2);
check(g.n === 6 && Math.abs(g.loss - 1.5) < 1e-12 && Math.abs(g.accuracy - 0.5) < 1e-12, `gatherChunks: n 6, loss the mean of the chunks' (1.5), accuracy 3/6 (${g.loss}, ${g.accuracy})`);
check(eq(Array.from(g.right), [1, 0, 1, 0, 1, 0]), 'gatherChunks: right[] marks the images each model got right, at their index in the whole set');
check(g.confusion[1 * 10 + 2] === 1 && g.confusion[3 * 10 + 1] === 1 && g.classTotal.reduce((a, b) => a + b) === 6, 'gatherChunks: confusion and class totals add up over chunks');
check(eq(g.mistakes.map((m) => m.index), [5, 1]) && g.mistakes[0].pred === 0 && g.mistakes[0].label === 5,
  `gatherChunks: the 2 most confident mistakes, most confident first, with label and prediction (${g.mistakes.map((m) => m.index)})`);
check(Math.abs(g.mistakes[0].p - 0.52) < 1e-6 && Math.abs(g.mistakes[0].pTrue - 0.5 / 9) < 1e-6, 'gatherChunks: a mistake carries the probability of its prediction and of the true class');
check(eq(classAccuracy(g).slice(0, 3), [1, 0, 1]) && rowShare(g, 1, 2) === 1 && rowShare(g, 9, 9) === 0, 'classAccuracy and rowShare (a class without images: 0)');

const R = (bits) => ({ n: bits.length, right: Uint8Array.from(bits) });
const d = pairedDifference(R([1, 1, 0, 0, 1, 0, 1, 1]), R([1, 0, 1, 1, 1, 1, 1, 1]));
check(d.b === 3 && d.c === 1 && Math.abs(d.d - 0.25) < 1e-12, `pairedDifference: 3 right only with the second, 1 only with the first, +25 points (${d.b}, ${d.c}, ${d.d})`);
check(Math.abs(d.se - Math.sqrt(4 - 4 / 8) / 8) < 1e-12 && d.clear === false, 'pairedDifference: standard error sqrt(b + c - (b - c)^2 / n) / n; within 2 SE is not clear');
const big = pairedDifference(R(new Array(400).fill(0)), R(new Array(400).fill(0).map((_, i) => (i < 100 ? 1 : 0))));
check(big.clear === true, 'pairedDifference: 100 of 400 right only with the second is clear');
check(pairedDifference(R([1]), R([1, 0])) === null && pairedDifference(null, R([1])) === null, 'pairedDifference: none for different image counts or a missing model');
check(bothTrained((k) => ({ source: k === 'CNN' ? 'pretrained' : 'trained' }), KINDS) && !bothTrained((k) => ({ source: k === 'CNN' ? 'random' : 'file' }), KINDS),
  'bothTrained: only when neither model has its random start');

// ---- shell helpers
check(tabAfterKey(['a', 'b', 'c'], 'c', 'ArrowRight') === 'a' && tabAfterKey(['a', 'b', 'c'], 'a', 'ArrowLeft') === 'c' &&
  tabAfterKey(['a', 'b', 'c'], 'b', 'End') === 'c' && tabAfterKey(['a', 'b', 'c'], 'b', 'Home') === 'a' && tabAfterKey(['a'], 'a', 'x') === null,
  'tabAfterKey: arrows wrap around, Home/End, other keys none');
const sets = [{ id: 'full', base: '/f/', train: 50000, test: 10000 }, { id: 'demo', base: '/d/', train: 5000, test: 1000 }];
check(sourceFor('demo', sets, null).id === 'demo' && sourceFor('nope', sets, null).id === 'full' && sourceFor(null, [], null).source === null,
  'sourceFor: the named set, else the first listed, else none');
check(eq(sourceFor('archive', sets, { name: 'x.tgz', train: 3, test: 2 }), { source: 'archive', id: 'archive', name: 'x.tgz', train: 3, test: 2 }) &&
  sourceFor('archive', sets, null).id === 'full', 'sourceFor: the archive only once one is open');
check(messageText('plain', t) === 'plain' && messageText({ code: 'a.b', vars: { x: 1 } }, t) === 'a.b{"x":1}' && messageText(new Error('boom'), t) === 'boom',
  'messageText: strings, translatable codes, Errors');
check(imageNote({ source: 'gallery' }, t) === 'img.note.gallery' && imageNote({ source: 'upload', crop: { w: 4, h: 4 } }, t).startsWith('img.note.square') &&
  imageNote({ source: 'upload', crop: { w: 6, h: 4 } }, t).startsWith('img.note.crop') && imageNote({ source: 'webcam', crop: null }, t) === '',
  'imageNote: gallery, square, cropped, none');
check(backendText({ ex: null, workerInfo: null, failed: true }, t).text === 'app.backend.failed' &&
  backendText({ ex: { build: 'simd', kernel: 'k' }, workerInfo: { build: 'simd-threads', threads: 2 } }, t).text === 'app.backend.train{"build":"simd-threads","threads":2} · app.backend.inspect{"build":"simd"}',
  'backendText: failed, or the training and inspection builds');
check(backendText({ ex: null, workerInfo: { build: 'simd', threads: 1, modelWorkers: true } }, t).text === 'app.backend.train.models{"build":"simd","threads":1}',
  'backendText: one thread per model when a second model trains in a model worker');
check(weightsSource(null, t) === '…' && weightsSource({ source: 'file', name: 'w.st' }, t) === 'app.model.file{"name":"w.st"}' && weightsSource({ source: 'random' }, t) === 'app.model.random',
  'weightsSource: unknown, a file by name, the others by source');
check(argmax([0.1, 0.7, 0.7, 0.2]) === 1 && argmax(Float32Array.from([3])) === 0, 'argmax: the first of the largest');
check(analysisKey('CNN', 3, {}) === 'CNN|3||2' && analysisKey('CNN_SE', 3, { cls: 0, block: 1 }) === 'CNN_SE|3|0|1', 'analysisKey: class 0 is not the default class');
check(fallbackBuild('auto') === 'simd' && fallbackBuild('simd') === null, 'training worker: the threaded build falls back to SIMD once');
check(eq(embedLimitReasons({ threads: true, camera: true }, 'train', t), ['app.embed.noThreads']) &&
  eq(embedLimitReasons({ threads: true, camera: true }, 'inspect', t), ['app.embed.noCamera']) && embedLimitReasons({ threads: false, camera: false }, 'train', t).length === 0,
  'embedLimitReasons: threads on Train, the camera on Inspect');
check(initialLang('zh', 'en-US') === 'zh' && initialLang(null, 'zh-TW') === 'zh' && initialLang(null, 'de') === 'en', 'initialLang: ?lang=, else the browser\'s Chinese, else English');
check(eq(PANEL_UPDATES, ['models-changed', 'image-changed', 'lang-changed', 'data-changed']), 'the events the app forwards to panels as update(what)');

// ---- one colour kit, one set of class names
const s = makeScale([-2, 1], { signed: true });
check(s.min === -2 && s.max === 2 && eq(s.color(0), coolwarm(0.5)) && eq(makeScale([0, 4]).color(4), viridis(1)), 'makeScale: signed scales are symmetric and use coolwarm, others viridis');
check(eq(coolwarm(0), [59, 76, 192]) && eq(coolwarm(1), [180, 4, 38]) && eq(coolwarm(NaN), coolwarm(0)), 'coolwarm: its end points; NaN is the low end');
check(fmt3(0) === '0' && fmt3(0.123456) === '0.123' && fmt3(12345) === '1.23e+4', 'fmt3: 3 significant digits, exponent outside 0.001..1000');
check(CLASS_NAMES.en === CLASSES && className(3, 'en') === 'cat' && className(3, 'zh') === '猫', 'class names: the English ones are the core module\'s CLASSES');

// ---- Inspect: state from the URL, the gallery, embedded parts, SE channels
const urlOf = (q) => { const u = new URLSearchParams(q); return { get: (k) => u.get(k), getInt: (k, f) => (u.has(k) && /^-?\d+$/.test(u.get(k)) ? Number(u.get(k)) : f) }; };
check(eq(inspectH.initialState(urlOf('')), { model: 'CNN_SE', cls: null, block: 2 }) &&
  eq(inspectH.initialState(urlOf('model=CNN&cls=0&block=1')), { model: 'CNN', cls: 0, block: 1 }) &&
  eq(inspectH.initialState(urlOf('model=X&cls=10&block=3')), { model: 'CNN_SE', cls: null, block: 2 }) &&
  eq(inspectH.initialState(urlOf('cls=-1&block=-1')), { model: 'CNN_SE', cls: null, block: 2 }),
  'inspect initialState: CNN_SE, each model\'s top class and block 3 by default; class 0 kept; out-of-range values take the default');
// 7 images of each class except class 9 with 6 (labels 0..9 repeating, 69 images): 2 pages of 3
const glabels = Uint8Array.from({ length: 69 }, (_, i) => i % 10);
const p0 = inspectH.galleryPage(glabels, 69, 0), p1 = inspectH.galleryPage(glabels, 69, 1), p2 = inspectH.galleryPage(glabels, 69, 2);
check(p0.length === 30 && eq(p0.slice(0, 4), [{ index: 0, cls: 0 }, { index: 10, cls: 0 }, { index: 20, cls: 0 }, { index: 1, cls: 1 }]) &&
  eq(p1[0], { index: 30, cls: 0 }) && eq(p2, p0), `inspect galleryPage: 3 per class in label order, pages as many as the rarest class fills, wrapping (${p0.length}, ${JSON.stringify(p1[0])})`);
const few = inspectH.galleryPage(Uint8Array.from([0, 0, 1]), 3, 5);
check(eq(few, [{ index: 0, cls: 0 }, { index: 1, cls: 0 }, { index: 2, cls: 1 }]), 'inspect galleryPage: with a class missing, one page of what there is');
check(inspectH.galleryKeyTarget('ArrowRight', 2, 30, 6) === 3 && inspectH.galleryKeyTarget('ArrowDown', 2, 30, 6) === 8 &&
  inspectH.galleryKeyTarget('ArrowUp', 2, 30, 6) === 0 && inspectH.galleryKeyTarget('ArrowLeft', 0, 30, 6) === 0 &&
  inspectH.galleryKeyTarget('End', 2, 30, 6) === 29 && inspectH.galleryKeyTarget('Home', 7, 30, 6) === 0 && inspectH.galleryKeyTarget('a', 2, 30, 6) === null,
  'inspect galleryKeyTarget: arrows by one and by a row, clamped; Home/End; other keys none');
check(eq(inspectH.viewParts('gradcam,x,pred', ['pick', 'pred', 'gradcam']), ['gradcam', 'pred']) && eq(inspectH.viewParts(null, ['pick']), []),
  'inspect viewParts: the known parts of ?view=, in its order');
const sv = Float32Array.from([0.2, 0.9, 0.5, 0.1]);
const order = inspectH.seOrder(sv, 4), sum = inspectH.seSummary(sv, order);
check(eq(order, [1, 2, 0, 3]) && Math.abs(sum.min - 0.1) < 1e-6 && Math.abs(sum.max - 0.9) < 1e-6 && Math.abs(sum.mean - 0.425) < 1e-6,
  `inspect seOrder/seSummary: channels from the largest s, its range and mean (${order}, ${JSON.stringify(sum)})`);
const relu = Float32Array.from({ length: 1000 }, (_, i) => (i === 999 ? 1000 : i / 1000));
const sc = inspectH.activationScale(relu), flat = inspectH.activationScale(new Float32Array(8));
check(sc.min === 0 && sc.max > 0.95 && sc.max < 1 && flat.max === 1e-6, `inspect activationScale: 0 to the 99th percentile (one outlier ignored), never empty (${sc.max}, ${flat.max})`);
check(inspectH.pct(0.5) === '50.0%' && inspectH.pct(0.996) === '100%' && inspectH.pct(0.0123) === '1.2%', 'inspect pct: one decimal below 99.5 %');

// ---- SE anatomy: URL, channels, means, the terms behind a value
check(anat.blockFromParam('2') === 1 && anat.blockFromParam('3') === 2 && anat.blockFromParam('4') === 0 && anat.blockFromParam(null) === 0 && anat.blockFromParam('x') === 0,
  'anatomy blockFromParam: ?ca=1..3 is block 0..2, anything else block 0');
check(eq(anat.channelsFromParam('3,17'), [3, 17]) && eq(anat.channelsFromParam('0,-1,x,5'), [0, 5]) && anat.channelsFromParam('-2') === null && anat.channelsFromParam('') === null,
  'anatomy channelsFromParam: the non-negative channels of ?ch=, null when none');
const tb = anat.topBottom(Float32Array.from([0.5, 0.9, 0.1, 0.9, 0.3]), 2);
check(eq(tb, { high: [1, 3], low: [2, 4] }), `anatomy topBottom: largest s first (ties in channel order), smallest first (${JSON.stringify(tb)})`);
const cm = anat.channelMean(Float32Array.from([1, 2, 3, 5, 6, 7]), 2, 3);
check(eq(Array.from(cm), [3, 4, 5]), `anatomy channelMean: the mean over channels at each position (${Array.from(cm)})`);
const ss = anat.sSummary(Float32Array.from([0.2, 0.6]), Float32Array.from([0, 1])), dead = anat.sSummary(Float32Array.from([0.5, 0.5]), new Float32Array(2));
check(Math.abs(ss.min - 0.2) < 1e-6 && Math.abs(ss.max - 0.6) < 1e-6 && Math.abs(ss.mean - 0.4) < 1e-6 && !ss.dead && dead.dead,
  'anatomy sSummary: range and mean of s; dead when every hidden unit is 0');
check(anat.channelsMax([Float32Array.from([1, 9, 2, 3]), Float32Array.from([4, 0, 0, 8])], [0], 2) === 9 && anat.channelsMax([new Float32Array(2)], [0], 2) === 0,
  'anatomy channelsMax: over the listed channels of all maps, at least 0');
const w1 = Float32Array.from([1, -2, 3, 0.5, 0.5, 0.5]);   // FC1 (R=2, C=3)
const f1 = anat.fc1Terms(w1, Float32Array.from([1, 2, 0.1]), 0, 3, 2);
check(eq(Array.from(f1.row), [1, -2, 3]) && eq(f1.terms.map((x) => +x.toFixed(6)), [1, -4, 0.3]) && eq(f1.top.map(([, c]) => c), [1, 0]),
  `anatomy fc1Terms: unit 0's weight row, w*pooled per channel, the largest in magnitude first (${f1.top})`);
const f2 = anat.fc2Terms(Float32Array.from([1, 2, 3, 4]), Float32Array.from([0.5, 0]), 1, 2);
check(eq(f2, [{ k: 0, w: 3, h: 0.5, p: 1.5 }, { k: 1, w: 4, h: 0, p: 0 }]), 'anatomy fc2Terms: output 1 is w2[1, k] * hidden[k] over k');
const px = anat.chwToRGBA(Uint8Array.from({ length: 2 * 3072 }, (_, i) => i % 251), 3072);
check(px.length === 4096 && px[0] === 3072 % 251 && px[1] === 4096 % 251 && px[2] === 5120 % 251 && px[3] === 255 && px[4] === 3073 % 251,
  'anatomy chwToRGBA: pixel i takes R, G, B from the three planes at the offset, alpha 255');

// ---- the guided lesson: the step, numbers, the SE block it shows
check(lessonH.stepFromParam('3', 7) === 2 && lessonH.stepFromParam('7', 7) === 6 && lessonH.stepFromParam('8', 7) === 0 && lessonH.stepFromParam('0', 7) === 0 &&
  lessonH.stepFromParam(null, 7) === 0 && lessonH.stepFromParam('x', 7) === 0 && lessonH.stepFromParam('2nd', 7) === 1,
  'lesson stepFromParam: ?step=1..n is step 0..n-1, anything else step 0');
check(lessonH.group(1234567) === '1\u202f234\u202f567' && lessonH.group(999.5) === '1\u202f000' && lessonH.group(12) === '12' && lessonH.group(0) === '0',
  `lesson group: rounded, thousands apart by a narrow no-break space (${JSON.stringify(lessonH.group(1234567))})`);
const ov = lessonH.overheadVars({ extraParams: 2080, paramShare: 0.0035, extraFlops: 12345, flopShare: 0.0123, seFcFlops: 4096, fcFlopShare: 0.5 });
check(eq(ov, { p: '2\u202f080', ps: '0.35 %', f: '12\u202f345', fs: '1.2 %', ffc: '4\u202f096', ffs: '50.0 %' }),
  `lesson overheadVars: grouped counts and their shares for the texts (${JSON.stringify(ov)})`);
check(lessonH.widestBlock([[0.25, 0.5], [0, 0.75], [0.25, 1]]) === 1 && lessonH.widestBlock([Float32Array.from([0, 0.5]), Float32Array.from([0, 0.25])]) === 0 &&
  lessonH.widestBlock([[0.5, 0.5], [0.5, 0.5, 0.5]]) === 0, 'lesson widestBlock: the block whose s has the widest range, the first on a tie');
check(anat.sSpread([0.5, 0.25, 0.875]) === 0.625 && anat.sSpread([0.5, 0.5]) === 0 && anat.sSpread([]) === 0,
  'anatomy sSpread: max - min of s (0 for a dead block), the core\'s se_spread');
const sl = [[0.5, 0.5], [0.25, 0.75], [0.1, 0.95]];
check(anat.openingBlock(null, sl) === 2 && anat.openingBlock('1', sl) === 0 && anat.openingBlock('2', sl) === 1 && anat.openingBlock('9', sl) === 2 &&
  anat.openingBlock(undefined, [[0.5, 0.5], [0.2, 0.9], [0.4, 0.6]]) === 1 && lessonH.widestBlock === anat.widestBlock,
  'anatomy openingBlock: the block ?ca= names, else the one whose s varies most (one widestBlock for the lesson and the panel)');
check(anat.reductionOf(32, 2) === 16 && anat.reductionOf(128, 32) === 4 && Number.isNaN(anat.reductionOf(32, 0)), 'anatomy reductionOf: C / hidden units');
const rows = lessonH.studyRows({ reductions: [
  { R: 16, epoch: 10, complete: true, seeds: [1, 2], se_parameters: 2688, test_accuracy: { mean: 0.8123, sd: 0.0051 },
    blocks: [{ hidden: 2, dead: 2, units: 4 }, { hidden: 4, dead: 1, units: 8 }, { hidden: 8, dead: 3, units: 16 }] },
  { R: 4, epoch: 3, complete: false, seeds: [1], se_parameters: 10752, test_accuracy: { mean: 0.7, sd: 0 },
    blocks: [{ hidden: 8, dead: 0, units: 8 }, { hidden: 16, dead: 1, units: 16 }, { hidden: 32, dead: 2, units: 32 }] }] });
check(rows.length === 2 && rows[0].R === 4 && eq(rows[1].hidden, [2, 4, 8]) && eq(rows[1].dead, ['2/4', '1/8', '3/16']) && rows[1].acc === '81.2 \u00b1 0.5 %' &&
  rows[0].params === 10752 && rows[0].complete === false && rows[1].seeds === 2 && lessonH.studyRows(null).length === 0,
  `lesson studyRows: the study JSON per R, smallest R first (${JSON.stringify(rows[1])})`);
const act = lessonH.mostActive(Float32Array.from([0.5, 2, 0, 2, 1, 3, 0.25]), 3), act6 = lessonH.mostActive(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
check(eq(act, [5, 1, 3]) && eq(act6, [7, 6, 5, 4, 3, 2]) && lessonH.KEPT === 4 && lessonH.ACTIVE === 6,
  `lesson mostActive: the channels with the largest squeeze, ties in channel order, 6 by default (${act}, ${act6})`);
const camN = lessonH.camForDisplay(Float32Array.from([0, -1, 2, 4])), camZ = lessonH.camForDisplay(Float32Array.from([-1, 0]));
check(camN instanceof Float32Array && eq(Array.from(camN), [0, -0.25, 0.5, 1]) && eq(Array.from(camZ), [0, 0]),
  `lesson camForDisplay: Grad-CAM divided by its maximum, all 0 when nothing is above 0 (${Array.from(camN)})`);
check(modelStats({ models: { get: (k) => (k === 'CNN' ? {} : null) } }) === null, 'lesson modelStats: none while a model is missing');
check(eq(STEPS.map((st) => st.id), ['attention', 'models', 'train', 'features', 'heatmaps', 'anatomy', 'reduction', 'end']) &&
  eq(STEPS.map((st) => (st.view ? st.view.name : null)), ['viewAttention', 'viewStats', null, 'viewFeatures', 'viewHeatmaps', null, 'viewReduction', 'viewEnd']),
  'lesson STEPS: eight steps in order, with the views they draw in the card');

if (failures) { console.log(`${failures} check(s) failed`); process.exit(1); }
console.log('all checks passed');
