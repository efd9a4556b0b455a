// worker.mjs - the training Web Worker (module worker). It owns the WebAssembly instance, the
// datasets and one Trainer per model (the native training loop, c/train.h); the page sends
// commands and receives progress events (protocol in README.md). With two models, both
// train in turn on the same batches (same seed: same shuffle and augmentation), so their
// curves can be compared batch for batch. Commands are answered between batches.
// The CSV rows of every batch and epoch (the 'csv' field of 'batch' and 'epoch') come from the
// core's formatter (ex.csvBatchRow / ex.csvEpochRow), the same as `excite train --csv`.
// Without the threads build (a page that is not cross-origin isolated) and with more than one
// core, the second model trains in a model worker (wasm/model-worker.mjs) at the same time as
// the first trains here; its events are posted here, in the same order as if it trained here.
// Commands are handled one at a time, between rounds (one batch of every model).
//   const w = new Worker('/wasm/worker.mjs', { type: 'module' });
import { loadExcite, settingAccepts } from './excite.mjs';
import { loadCifarFromServer } from './cifar.mjs';
import { ModelWorker, RemoteTrainer, modelWorkersHelp } from './remote-trainer.mjs';

const KINDS = ['CNN', 'CNN_SE'];
let ex = null;                 // the Excite instance
let exLoading = null;
let data = null;               // { train: Dataset, test: Dataset }
let dataSource = null;         // what 'load-data' loaded them from (its baseUrl and sizes), or null
let trainers = {};             // kind -> Trainer
let kinds = [];                // training order
let settings = null;
let state = 'idle';            // idle | running | paused | stopped | done
let looping = false;
let speed = {};                // kind -> smoothed images/second
let secPerRound = 0;           // smoothed wall time of one batch of every model
// Where the run pauses by itself (the page's "pause at the end of this epoch", or an exact
// batch): { epoch, batch, checkpoint } with epoch counted from 1 and batch the number of
// batches of that epoch already trained, or null for the end of the epoch (after its
// evaluation and epoch checkpoint); { epochEnd: true } until a run resolves it to the epoch
// in progress. checkpoint: false pauses without the 'pause' checkpoint, leaving the saved
// state where a tab that crashed at that batch would leave it (used by the tests; no control
// of the page asks for it). Cleared when it fires, on stop and when the run ends.
let pauseAt = null;
let helper = null;             // the ModelWorker, or null (none, or it failed)
let round = null;              // the loop's pass in progress: resolves after its events

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

const postReady = () => post({ type: 'ready', build: ex.build, threads: ex.threads, maxThreads: ex.maxThreads, kernel: ex.kernel,
                                support: ex.support, fallback: ex.fallback, modelWorkers: modelWorkersHelp(ex) });

// Load the module once (the first command does it if 'init' did not); 'ready' follows.
async function ensureExcite(opts = {}) {
    if (ex) return ex;
    if (!exLoading) {
        exLoading = loadExcite(opts).then((e) => {
            ex = e;
            // the model worker loads its module now, while the page waits for a Start
            if (modelWorkersHelp(ex) && !helper) helper = new ModelWorker(ex.build);
            postReady();
            return e;
        });
    }
    try {
        return await exLoading;
    } catch (e) {
        exLoading = null;
        throw e;
    }
}

// Yield to the event loop (messages) without setTimeout's clamping.
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => { const r = pending.shift(); if (r) r(); };
const yieldNow = () => new Promise((r) => { pending.push(r); channel.port2.postMessage(0); });

function setState(s) {
    state = s;
    post({ type: 'state', state: s });
}

function freeTrainers() {
    for (const t of Object.values(trainers)) t.free();
    trainers = {};
    kinds = [];
}

function setData(train, test) {
    if (state === 'running' || state === 'paused') throw new Error('stop training before changing the data');
    freeTrainers();
    dataSource = null;
    if (data) { data.train.free(); data.test.free(); data = null; }
    const tr = ex.createDataset(train.images, train.labels);
    let te;
    try {
        te = ex.createDataset(test.images, test.labels);
    } catch (e) {
        tr.free();
        throw e;
    }
    data = { train: tr, test: te };
    // the model worker gets its copy now, so that it is ready when a run starts
    if (modelWorkersHelp(ex)) {
        if (!helper) helper = new ModelWorker(ex.build);
        helper.setData(train, test);
    }
    post({ type: 'data-ready', nTrain: tr.n, nTest: te.n });
}

// The model of `models` to train in the model worker (the second), or null: one model, no
// model worker, or it could not load (then every model trains here).
async function remoteKind(models) {
    if (!helper || models.length < 2) return null;
    try {
        await helper.loaded;
        await helper.dataSent;
        if (helper.failed) throw helper.failed;   // it stopped since (a crash in an earlier run)
        return models[1];
    } catch (e) {
        console.warn(`excite: ${e.message}; every model trains in the training worker`);
        helper.terminate();
        helper = null;
        return null;
    }
}

// Check a pauseAt setting ({ epoch, batch?, checkpoint? } | { epochEnd: true } | null).
function parsePauseAt(p) {
    if (p === null) return null;
    if (typeof p !== 'object') throw new Error('pauseAt must be { epoch, batch } or { epochEnd: true } or null');
    const checkpoint = p.checkpoint !== false;
    if (p.epochEnd) return { epochEnd: true, checkpoint };
    if (!(Number.isInteger(p.epoch) && p.epoch >= 1)) throw new Error(`pauseAt.epoch must be an integer >= 1 (got ${p.epoch})`);
    const batch = p.batch === undefined || p.batch === null ? null : p.batch;
    if (batch !== null && !(Number.isInteger(batch) && batch >= 1)) throw new Error(`pauseAt.batch must be an integer >= 1 (got ${p.batch})`);
    return { epoch: p.epoch, batch, checkpoint };
}
// The first model of the run: all models train the same batches, so its counters are the run's.
const lead = () => trainers[kinds[0]];
// { epochEnd } -> the epoch in progress (or the next one to start, between epochs)
function resolvePauseAt() {
    if (pauseAt && pauseAt.epochEnd && kinds.length) pauseAt = { epoch: lead().epoch + 1, batch: null, checkpoint: pauseAt.checkpoint };
}
// Called between rounds (every model has trained the same batches): has pauseAt been reached?
function pauseAtReached() {
    if (!pauseAt || pauseAt.epochEnd || !kinds.length) return false;
    const t = lead();
    if (pauseAt.batch === null) return t.epoch >= pauseAt.epoch && t.position === 0 && !t.epochFinished;
    return t.stepCount >= (pauseAt.epoch - 1) * t.batches + Math.min(pauseAt.batch, t.batches);
}

// Every trainer's checkpoint is asked for before any answer is awaited: all at the same round.
async function checkpointState() {
    const out = { version: 1, settings, models: kinds.slice(), trainers: {},
                  classes: trainers[kinds[0]].model.classes,
                  data: { nTrain: data.train.n, nTest: data.test.n } };
    const asked = kinds.map((k) => trainers[k].checkpoint());
    for (const [i, k] of kinds.entries()) out.trainers[k] = await asked[i];
    return out;
}
async function postCheckpoint(reason) {
    const st = await checkpointState();
    post({ type: 'checkpoint', reason, state: st }, Object.values(st.trainers).map((b) => b.buffer));
}

// Every setting named and in range, by the core's table (ex.trainSettings); throws naming it.
function checkSettings(s) {
    for (const [key, v] of Object.entries(s)) {
        const d = ex.trainSettings.find((x) => x.key === key);
        if (!d) throw new Error(`unknown training setting '${key}'`);
        if (v !== undefined && v !== null && !settingAccepts(d, v)) {
            throw new Error(`training setting ${key}: ${v} is not in ${d.min}..${d.max}`);
        }
    }
}

async function start(msg) {
    if (state === 'running' || state === 'paused') throw new Error('training is already running: stop it first');
    if (!data) throw new Error('no data: send the training and test images first');
    freeTrainers();
    speed = {};
    secPerRound = 0;
    if (msg.resume) {
        const r = msg.resume;
        if (!r || r.version !== 1 || !Array.isArray(r.models) || !r.trainers) {
            throw new Error('not a training checkpoint of this page');
        }
        if (r.data && (r.data.nTrain !== data.train.n || r.data.nTest !== data.test.n)) {
            throw new Error(`the checkpoint was made with ${r.data.nTrain} training and ${r.data.nTest} ` +
                            `test images; load the same subset (now ${data.train.n} and ${data.test.n})`);
        }
        const far = msg.modelWorker === false ? null : await remoteKind(r.models);
        // the model worker builds its trainer while this one builds the others
        const remote = far ? RemoteTrainer.resume(helper, r.trainers[far]) : null;
        try {
            for (const k of r.models) if (k !== far) trainers[k] = ex.resumeTrainer(r.trainers[k], data.train, data.test);
            if (remote) trainers[far] = await remote;
        } catch (e) {
            if (remote) remote.then((t) => t.free(), () => {});
            freeTrainers();
            throw e;
        }
        kinds = r.models.slice();
        settings = r.settings || {};
    } else {
        const models = msg.models && msg.models.length ? msg.models : ['CNN'];
        for (const k of models) if (!KINDS.includes(k)) throw new Error(`unknown model '${k}'`);
        settings = { ...(msg.settings || {}) };
        delete settings.kind;
        if (msg.reduction !== undefined && msg.reduction !== null) settings.reduction = msg.reduction;
        if (msg.freezeConv !== undefined && msg.freezeConv !== null) settings.freezeConv = !!msg.freezeConv;
        checkSettings(settings);
        const classes = msg.classes || null;
        if (classes) ex.checkClassNames(classes);
        const inits = initsByKind(msg.init);
        const far = msg.modelWorker === false ? null : await remoteKind(models);
        const weightsOf = (k) => (msg.weights && msg.weights[k]) || null;
        // the model worker builds its trainer while this one builds the others
        const remote = far ? RemoteTrainer.create(helper, { settings: { ...settings, kind: far }, classes,
                                                            init: inits[far] || null, weights: weightsOf(far) }) : null;
        try {
            for (const k of models) {
                if (k === far) continue;
                trainers[k] = ex.createTrainer({ ...settings, kind: k }, data.train, data.test,
                                               { classes, init: inits[k] || null });
                if (weightsOf(k)) trainers[k].model.loadSafetensors(weightsOf(k));
            }
            if (remote) trainers[far] = await remote;
        } catch (e) {
            if (remote) remote.then((t) => t.free(), () => {});
            freeTrainers();
            throw e;
        }
        kinds = models.slice();
    }
    if (msg.pauseAt !== undefined) pauseAt = parsePauseAt(msg.pauseAt);
    resolvePauseAt();
    const isVal = trainers[kinds[0]].config.val > 0;
    post({ type: 'run', models: kinds.slice(), settings, classes: trainers[kinds[0]].model.classes,
           modelWorker: kinds.find((k) => trainers[k].remote) || null,
           csvColumns: { batches: ex.csvHeader('batches'), epochs: ex.csvHeader('epochs', isVal) } });
    setState('running');
    loop();
}

// start's init: pretrained weights to fine-tune from. One file (ArrayBuffer or Uint8Array) is
// for the models of its kind; { CNN: bytes, CNN_SE: bytes } gives one per kind. -> kind -> bytes
function initsByKind(init) {
    if (!init) return {};
    const bytes = (b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : b);
    if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) {
        const b = bytes(init);
        return { [ex.weightsInfo(b).kind]: b };
    }
    const out = {};
    for (const [k, b] of Object.entries(init)) {
        if (!KINDS.includes(k)) throw new Error(`init: unknown model '${k}'`);
        if (b) out[k] = bytes(b);
    }
    return out;
}

// One round: every active model ends its finished epoch (evaluating the test set) or trains
// one batch; a model in the model worker does so at the same time as those here. The events
// follow in the order of the models. -> { endedEpoch, stopped } (stopped: an error ended the
// run or paused it at a divergence).
async function trainRound(active) {
    for (const k of active) {
        if (trainers[k].epochFinished) post({ type: 'evaluating', model: k, epoch: trainers[k].epoch + 1, n: data.test.n });
    }
    const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));
    const asked = {};
    for (const k of active) if (trainers[k].remote) asked[k] = settle(trainers[k].round());
    for (const k of active) {
        if (trainers[k].remote) continue;
        const t = trainers[k];
        try {
            asked[k] = { value: t.epochFinished ? { epoch: t.endEpoch() } : { batch: t.step() } };
        } catch (error) {
            asked[k] = { error };
        }
    }
    let endedEpoch = false;
    const failed = [];
    for (const k of active) {
        const { value, error } = await asked[k];
        if (error) {
            failed.push([k, error]);
        } else if (value.epoch) {
            const e = value.epoch;
            post({ type: 'epoch', model: k, epoch: e.epoch, trainLoss: e.trainLoss, trainAcc: e.trainAcc,
                   testLoss: e.testLoss, testAcc: e.testAcc, isVal: e.isVal, lr: e.lr,
                   nextLr: e.nextLr, seconds: e.seconds, csv: ex.csvEpochRow(e) });
            endedEpoch = true;
        } else {
            const r = value.batch;
            speed[k] = speed[k] ? 0.9 * speed[k] + 0.1 * r.imagesPerSec : r.imagesPerSec;
            const left = Math.max(...kinds.map((q) => remainingBatches(trainers[q])));
            // imgPerSec: smoothed, for the progress line; the CSV row has this batch's own rate
            post({ type: 'batch', model: k, epoch: r.epoch, batch: r.batch, batches: r.batches, step: r.step,
                   loss: r.loss, acc: r.accuracy, lr: r.lr, imgPerSec: speed[k],
                   eta: secPerRound > 0 ? left * secPerRound : null, csv: ex.csvBatchRow(r) });
        }
    }
    if (!failed.length) return { endedEpoch, stopped: false };
    // On divergence the trainer is already back at its last good state: the run pauses
    // there, so a lower learning rate ('settings') and 'resume' continue it.
    const diverged = failed.every(([, err]) => err.diverged);
    setState(diverged ? 'paused' : 'stopped');
    for (const [k, err] of failed) {
        post({ type: 'error', message: err.message, model: k, diverged: !!err.diverged, step: trainers[k].stepCount });
    }
    if (diverged) await postCheckpoint('pause');
    return { endedEpoch, stopped: true };
}

// Train while the state is 'running'. Each pass is one round (or the end of the run, or a
// pause at pauseAt); commands wait for the pass in progress (`round`), so they see every
// model at the same round with its events posted.
async function loop() {
    if (looping) return;
    looping = true;
    try {
        while (state === 'running') {
            let done;
            round = new Promise((r) => { done = r; });
            let more;
            try {
                more = await pass();
            } finally {
                round = null;
                done();
            }
            if (!more) break;
            await yieldNow();
        }
    } catch (e) {
        setState('stopped');
        post({ type: 'error', message: e.message });
    } finally {
        looping = false;
    }
}

// -> whether to go on
async function pass() {
    const active = kinds.filter((k) => !trainers[k].done);
    if (!active.length) {
        pauseAt = null;
        setState('done');
        return false;
    }
    if (pauseAtReached()) {
        const t = lead();
        const at = { epoch: t.epoch + (t.position > 0 ? 1 : 0), batch: t.position > 0 ? t.position : t.batches,
                     step: t.stepCount, endOfEpoch: t.position === 0 };
        const { checkpoint } = pauseAt;
        pauseAt = null;
        state = 'paused';
        post({ type: 'state', state: 'paused', reason: 'pause-at', at });
        if (checkpoint) await postCheckpoint('pause');
        return false;
    }
    const t0 = performance.now();
    const outcome = await trainRound(active);
    if (outcome.stopped) return false;
    if (!outcome.endedEpoch) {
        const dt = (performance.now() - t0) / 1000;
        secPerRound = secPerRound ? 0.9 * secPerRound + 0.1 * dt : dt;
    } else {
        await postCheckpoint('epoch');
    }
    return true;
}

function remainingBatches(t) {
    const cfg = t.config;
    return Math.max(0, (cfg.epochs - t.epoch) * t.batches - t.position);
}

async function handle(msg) {
    switch (msg.type) {
    case 'init':
        if (ex) postReady();   // already loaded: say so again
        else await ensureExcite({ build: msg.build, numThreads: msg.numThreads, threads: msg.threads });
        return;
    case 'threads':          // use msg.n threads from the next batch on (1 .. maxThreads); 'ready' follows
        await ensureExcite();
        ex.setThreads(msg.n);
        postReady();
        return;
    case 'data':
        await ensureExcite();
        setData(msg.train, msg.test);
        return;
    case 'load-data': {
        await ensureExcite();
        // the same records as the data in place (a new run on the same subset): kept
        const source = JSON.stringify([msg.baseUrl, msg.trainSize, msg.testSize]);
        if (data && source === dataSource) {
            if (state === 'running' || state === 'paused') throw new Error('stop training before changing the data');
            post({ type: 'data-ready', nTrain: data.train.n, nTest: data.test.n, kept: true });
            return;
        }
        const d = await loadCifarFromServer({ baseUrl: msg.baseUrl, trainSize: msg.trainSize, testSize: msg.testSize,
            onProgress: (loaded, total) => post({ type: 'data-progress', loaded, total }) });
        setData(d.train, d.test);
        dataSource = source;
        return;
    }
    case 'start':
        await ensureExcite();
        await start(msg);
        return;
    case 'pause':
        if (state === 'running') {
            setState('paused');
            await postCheckpoint('pause');
        }
        return;
    case 'resume':
        if (state === 'paused') {
            setState('running');
            loop();
        }
        return;
    case 'stop':
        pauseAt = null;
        if (state === 'running' || state === 'paused') setState('stopped');
        return;
    case 'settings': {
        // epochs and the learning rate can change during a run (checked before anything changes)
        const s = msg.settings || {};
        const newPauseAt = s.pauseAt !== undefined ? parsePauseAt(s.pauseAt) : undefined;
        await ensureExcite();
        checkSettings({ lr: s.lr, epochs: s.epochs });
        // every model's change asked for before any answer is awaited (a model worker's)
        if (s.lr !== undefined) {
            await Promise.all(kinds.map((k) => trainers[k].setLr(s.lr)));
            if (settings) settings.lr = s.lr;
        }
        if (s.epochs !== undefined) {
            await Promise.all(kinds.map((k) => trainers[k].setEpochs(s.epochs)));
            if (settings) settings.epochs = s.epochs;
            if (state === 'done' && kinds.some((k) => !trainers[k].done)) setState('paused');
        }
        if (newPauseAt !== undefined) {
            pauseAt = newPauseAt;
            if (state === 'running' || state === 'paused') resolvePauseAt();
        }
        return;
    }
    case 'settings-table':   // the core's training settings (ex.trainSettings), for forms
        await ensureExcite();
        post({ type: 'settings-table', settings: ex.trainSettings });
        return;
    case 'checkpoint':
        if (!kinds.length) throw new Error('nothing to checkpoint: no training run');
        await postCheckpoint('request');
        return;
    case 'get-weights': {
        const t = trainers[msg.model];
        if (!t) throw new Error(`no ${msg.model} model in this run`);
        const bytes = await t.model.saveSafetensors({ half: !!msg.half });
        post({ type: 'weights', model: msg.model, id: msg.id, bytes }, [bytes.buffer]);
        return;
    }
    case 'evaluate': {
        const t = trainers[msg.model];
        if (!t) throw new Error(`no ${msg.model} model in this run`);
        const result = t.remote ? await t.evaluate(t.config.batchSize) : ex.evaluate(t.model, data.test, t.config.batchSize);
        post({ type: 'evaluation', model: msg.model, id: msg.id, result });
        return;
    }
    default:
        throw new Error(`unknown command '${msg.type}'`);
    }
}

// One command at a time, in order, each after the loop's pass in progress.
let commands = Promise.resolve();
self.onmessage = (e) => {
    const msg = e.data || {};
    commands = commands.then(async () => {
        if (round) await round;
        await handle(msg);
    }).catch((err) => post({ type: 'error', message: err.message, command: msg.type, id: msg.id }));
};
