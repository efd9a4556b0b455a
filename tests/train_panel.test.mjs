// train_panel.test.mjs - the Train panel's logic without a DOM (web/js/panels/train-helpers.mjs)
// and what it builds on: the core's settings table as the module exports it (ex.trainSettings:
// the form's limits and checks, the same rule as createTrainer), and the core's CSV rows
// (ex.csvBatchRow / ex.csvEpochRow) against what `excite train --csv` writes for the same
// records (c/train.c train_csv_batch_row; here checked through the header and the formats).
import { loadExcite, settingAccepts } from '../wasm/excite.mjs';
import * as H from '../web/js/panels/train-helpers.mjs';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const ex = await loadExcite({ build: 'plain' });
const table = ex.trainSettings;
const names = table.map((s) => s.name);
check(['kind', 'seed', 'epochs', 'batch_size', 'augment', 'lr', 'weight_decay', 'dropout', 'plateau_factor',
  'plateau_patience', 'plateau_threshold', 'min_lr', 'val', 'explode_abs', 'explode_ratio'].every((n) => names.includes(n)),
  `the table has every TrainConfig field (${names.join(', ')})`);
const get = (k) => table.find((s) => s.key === k);
check(get('epochs').min === 0 && get('epochs').max === 100000 && get('batchSize').max === 4096 && get('lr').type === 'float',
  'ranges as c/train_settings.h gives them (epochs 0..100000, batch 1..4096, lr float)');
check(get('batchSize').flag === 'batch' && get('weightDecay').flag === 'weight-decay' && get('explodeAbs').flag === '',
  'CLI flags come with the table (--batch, --weight-decay; explode_abs has none)');

// the table's range is the core's: one value inside, one outside each bound, createTrainer agrees
const train = ex.createDataset(new Uint8Array(8 * 3072), new Uint8Array(8));
const test = ex.createDataset(new Uint8Array(4 * 3072), new Uint8Array(4));
let agree = 0, total = 0;
for (const s of table.filter((x) => x.type === 'int' || x.type === 'float')) {
  if (s.key === 'val') continue;   // limited by the data too
  for (const v of [s.min, s.max, s.type === 'int' ? s.min - 1 : s.min - Math.max(1e-6, Math.abs(s.min)), s.max * 2 + 1]) {
    let core = true;
    try { ex.createTrainer({ [s.key]: v, epochs: s.key === 'epochs' ? v : 1 }, train, test).free(); } catch { core = false; }
    total++;
    if (core === settingAccepts(s, v)) agree++;
    else console.log(`     ${s.key} = ${v}: core ${core}, settingAccepts ${settingAccepts(s, v)}`);
  }
}
check(agree === total, `settingAccepts and the core agree on ${agree} of ${total} values at and beyond the bounds`);

// the form: limits from the table, problems named by key
const lim = H.formLimits(table);
check(lim.epochs.min === 0 && lim.epochs.max === 100000 && lim.lr.min === 1e-12 && lim.seed.max === Number.MAX_SAFE_INTEGER,
  `form limits from the table (epochs ${lim.epochs.min}..${lim.epochs.max}, lr from ${lim.lr.min}, seed up to 2^53-1)`);
check(H.settingProblems({ epochs: 3, batchSize: 64, lr: 1e-3, seed: 1, augment: true }, table).length === 0, 'good settings: no problem');
const bad = H.settingProblems({ epochs: -1, batchSize: 64, lr: 0, seed: 1.5, augment: true }, table).map((p) => p.key);
check(bad.join() === 'epochs,lr,seed', `bad epochs, lr and seed are named (${bad.join()})`);
check(H.settingProblems({ epochs: -1 }, null).length === 0, 'without a table the page leaves the checks to the worker');

// CSV rows: the core's formatter; header, the row's columns, %.6f / %.6g / %.1f
check(ex.csvHeader('batches') === 'epoch,batch,step,loss,accuracy,lr,images_per_sec' &&
      ex.csvHeader('epochs') === 'epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds' &&
      ex.csvHeader('epochs', true) === 'epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds', 'headers are train.h\'s');
const row = ex.csvBatchRow({ epoch: 2, batch: 3, batches: 9, step: 12, loss: Math.fround(1.25), accuracy: 0.5,
  lr: Math.fround(2.5e-5), imagesPerSec: 1234.56 });
check(row === '2,3,12,1.250000,0.500000,2.5e-05,1234.6', `a batch row as printf writes it (${row})`);
const erow = ex.csvEpochRow({ epoch: 1, trainLoss: 2.1, trainAcc: 0.25, testLoss: 1.9, testAcc: 0.3, isVal: false,
  lr: Math.fround(1e-3), nextLr: Math.fround(5e-4), seconds: 12.3456 });
check(erow === '1,2.100000,0.250000,1.900000,0.300000,0.001,12.346', `an epoch row (${erow})`);
// a real step: the row is the record's
const t = ex.createTrainer({ seed: 3, epochs: 1, batchSize: 4 }, train, test);
const r = t.step();
const cells = ex.csvBatchRow(r).split(',');
check(cells.length === 7 && Number(cells[2]) === r.step && Math.abs(Number(cells[3]) - r.loss) < 1e-6 && Number(cells[6]) > 0,
  `a trained batch's row has 7 columns, its step and loss, a positive rate (${cells.join(',')})`);
t.free(); train.free(); test.free();

// the panel's helpers
check(H.csvText('a,b', ['1,2', '3,4']) === 'a,b\n1,2\n3,4\n' && H.csvText('a,b', []) === 'a,b\n', 'csvText: header, rows, final newline');
check(H.rowNumbers('1,2,3,0.500000,0.25,1e-05,99.0').join() === '1,2,3,0.5,0.25,0.00001,99', 'rowNumbers');
check(H.modelsOf('both').join() === 'CNN,CNN_SE' && H.modelsOf('CNN_SE').join() === 'CNN_SE', 'modelsOf');
const last = { epoch: 3, batch: 10, batches: 10 };
check(!H.keepCheckpoint('running', 'epoch', last, 3) && H.keepCheckpoint('running', 'epoch', last, 4) &&
      H.keepCheckpoint('paused', 'pause', last, 3) && !H.keepCheckpoint('done', 'pause', null, 3),
      'keepCheckpoint: not after the last epoch or once done; pauses and earlier epochs are kept');
const run = H.newRun(['CNN'], { epochs: 3 });
const rec = H.savedRecord(run, { version: 1 }, last, 5);
check(H.resumable(rec) && !H.resumable({ version: 2, checkpoint: {} }) && !H.resumable(null) && rec.savedAt === 5 &&
      rec.logs.CNN.batches.length === 0, 'saved record and resumable');
run.logs.CNN.batches.push('1,1,1,2.3,0.1,0.001,500');   // a batch trained while the save waits for IndexedDB
check(rec.logs.CNN.batches.length === 0 && run.logs.CNN.batches.length === 1, 'the saved record holds the logs as they were at its checkpoint');
check(H.progressOf({ epoch: 2, batch: 5, batches: 10 }, 4).fraction === 15 / 40, 'progress fraction over the run');
check(H.fmtTime(3725) === '1:02:05' && H.fmtTime(65) === '1:05' && H.fmtTime(NaN) === '–', 'fmtTime');

// the form's helpers: the radios, a saved run's values, the problems' message, busy/live, the start messages
check(H.MODEL_CHOICES.join() === 'both,CNN,CNN_SE' && H.modelChoice('CNN_SE') === 'CNN_SE' && H.modelChoice('both') === 'both' &&
      H.modelChoice('x') === 'both' && H.modelChoice(null) === 'both', 'modelChoice: the URL\'s model, else both');
check(H.choiceOf(['CNN', 'CNN_SE']) === 'both' && H.choiceOf(['CNN']) === 'CNN' && H.choiceOf(['CNN_SE']) === 'CNN_SE', 'choiceOf');
const fv = H.formValuesOf({ models: ['CNN_SE'], settings: { epochs: 5, batchSize: 32, lr: 0.002, augment: 0, seed: 7 },
  checkpoint: { data: { nTrain: 2000, nTest: 500 } } });
check(fv.epochs === '5' && fv.batchSize === '32' && fv.lr === '0.002' && fv.augment === false && fv.seed === '7' &&
      fv.trainSize === '2000' && fv.testSize === '500' && fv.model === 'CNN_SE', 'formValuesOf: a saved run\'s fields as strings');
check(fv.reduction === '16' && fv.sePositiveInit === false, 'formValuesOf: a run saved without R or the SE start shows the defaults (16, off)');
const fv8 = H.formValuesOf({ models: ['CNN_SE'], settings: { epochs: 5, batchSize: 32, lr: 0.002, augment: 0, seed: 7, reduction: 8, sePositiveInit: true },
  checkpoint: { data: { nTrain: 2000, nTest: 500 } } });
check(fv8.reduction === '8' && fv8.sePositiveInit === true, 'formValuesOf: R and the SE start of a saved run');
const red = get('reduction');
check(H.REDUCTIONS.includes(red.default) && H.REDUCTIONS.every((r) => r >= red.min && r <= red.max && Number.isInteger(32 / r)),
      `the form's reduction ratios (${H.REDUCTIONS}) are within the core's 1..${red.max} and include its default ${red.default}`);
check(H.settingProblems({ reduction: 64 }, table).some((p) => p.key === 'reduction') && !H.settingProblems({ reduction: 8, sePositiveInit: true }, table).length,
      'settingProblems checks R and the SE start against the core\'s table');
const tt = (k, v) => (v ? `${k}(${v.what})` : `<${k}>`);
const msg = H.problemsText(H.settingProblems({ epochs: -1, batchSize: 64, lr: 0, seed: 1, augment: true }, table), tt);
check(msg === `train.err.settings(<train.epochs> 0–100000, <train.lr> ${get('lr').min}–${get('lr').max})`, `problemsText names each field and its range (${msg})`);
const bl = (s) => { const b = H.busyOf(s); return `${+b.busy}${+b.live}`; };
check(['idle', 'loading', 'running', 'paused', 'stopped', 'done'].map(bl).join() === '00,10,11,11,00,00', 'busyOf: loading is busy, running and paused are live');
const sm = H.startMessage(['CNN'], { epochs: 2, lr: 1e-3, trainSize: 1000, testSize: 500 }, undefined, null);
check(JSON.stringify(sm) === '{"type":"start","models":["CNN"],"settings":{"epochs":2,"lr":0.001}}' && 'weights' in sm && !('pauseAt' in sm),
  'startMessage: no data sizes, weights key kept, no pauseAt unless set');
check(H.startMessage(['CNN'], {}, { CNN: 1 }, { epochEnd: true }).pauseAt.epochEnd === true &&
      JSON.stringify(H.resumeMessage({ v: 1 }, null)) === '{"type":"start","resume":{"v":1}}' &&
      H.resumeMessage({ v: 1 }, { epochEnd: true }).pauseAt.epochEnd === true, 'startMessage / resumeMessage with pauseAt');

ex.dispose();
if (failures) { console.log(`train_panel: ${failures} failure(s)`); process.exit(1); }
console.log('train_panel: all checks passed');
