// model-worker.mjs - a helper of the training worker (wasm/worker.mjs): a module Web Worker
// with its own WebAssembly instance, its own copy of the datasets and one Trainer, so that a
// second model trains on a second core while the training worker trains the first. The
// training worker starts it (wasm/remote-trainer.mjs) when the page has no threads build
// (not cross-origin isolated: one WebAssembly thread per instance) and the machine more than
// one core. Every model's numbers are those of the same model trained alone: each trainer
// depends only on its settings, its seed and the data.
// Messages: { id, op, args } -> { id, value, status } or { id, error: { message, diverged },
// status }, answered one at a time in the order they came; status is the trainer's counters
// (null without a trainer). Ops: load { build }, data { train, test }, create { settings,
// classes, init, weights }, resume { bytes }, round (end the finished epoch or train one
// batch), checkpoint, setLr { lr }, setEpochs { n }, weights { half }, evaluate { batchSize },
// free.
import { loadExcite } from './excite.mjs';

let ex = null, data = null, trainer = null;

const status = (t = trainer) => t && { epoch: t.epoch, position: t.position, batches: t.batches, stepCount: t.stepCount,
                                       lr: t.lr, done: t.done, epochFinished: t.epochFinished };
const live = () => { if (!trainer) throw new Error('no model in this worker'); return trainer; };
const described = (t) => ({ config: t.config, classes: t.model.classes });

function freeTrainer() {
    if (trainer) trainer.free();
    trainer = null;
}
function adopt(t, weights) {
    try {
        if (weights) t.model.loadSafetensors(weights);
    } catch (e) {
        t.free();
        throw e;
    }
    freeTrainer();
    trainer = t;
    return described(t);
}

const ops = {
    async load({ build }) {
        if (!ex) ex = await loadExcite({ build });
        return { build: ex.build, kernel: ex.kernel };
    },
    data({ train, test }) {
        freeTrainer();
        if (data) { data.train.free(); data.test.free(); data = null; }
        const tr = ex.createDataset(train.images, train.labels);
        try {
            data = { train: tr, test: ex.createDataset(test.images, test.labels) };
        } catch (e) {
            tr.free();
            throw e;
        }
    },
    create({ settings, classes, init, weights }) {
        if (!data) throw new Error('no data in the model worker');
        return adopt(ex.createTrainer(settings, data.train, data.test, { classes, init }), weights);
    },
    resume({ bytes }) {
        if (!data) throw new Error('no data in the model worker');
        return adopt(ex.resumeTrainer(bytes, data.train, data.test));
    },
    round() {
        const t = live();
        return t.epochFinished ? { epoch: t.endEpoch() } : { batch: t.step() };
    },
    checkpoint: () => live().checkpoint(),
    setLr({ lr }) { live().setLr(lr); },
    setEpochs({ n }) { live().setEpochs(n); return live().config; },
    weights: ({ half }) => live().model.saveSafetensors({ half }),
    evaluate: ({ batchSize }) => ex.evaluate(live().model, data.test, batchSize),
    free: freeTrainer,
};

let queue = Promise.resolve();
self.onmessage = (e) => {
    const { id, op, args } = e.data || {};
    queue = queue.then(async () => {
        try {
            if (!ops[op]) throw new Error(`unknown model worker op '${op}'`);
            if (op !== 'load' && !ex) throw new Error('the model worker has not loaded its module');
            const value = await ops[op](args || {});
            self.postMessage({ id, value, status: status() }, value instanceof Uint8Array ? [value.buffer] : []);
        } catch (err) {
            self.postMessage({ id, error: { message: err.message, diverged: !!err.diverged }, status: status() });
        }
    });
};
