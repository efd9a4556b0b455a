// remote-trainer.mjs - the training worker's side of a model worker (wasm/model-worker.mjs):
// ModelWorker starts one and sends it the datasets; RemoteTrainer stands for the trainer in
// it with the counters of a Trainer (wasm/excite.mjs: epoch, position, batches, stepCount, lr,
// done, epochFinished, config, model.classes; as of the last answer) and asynchronous
// versions of the rest: round() (endEpoch or step), checkpoint(), setLr(), setEpochs(),
// model.saveSafetensors(), evaluate(). Calls are answered in the order they were made, so a
// call made right after another sees its effect.

// Can a model worker give this worker's instance a second core? Only without the threads
// build (whose threads already use every core), with Worker available (browsers) and more
// than one core.
export function modelWorkersHelp(ex) {
    const cores = (typeof navigator === 'object' && navigator.hardwareConcurrency) || 1;
    return typeof Worker === 'function' && ex.maxThreads <= 1 && cores >= 2;
}

export class ModelWorker {
    // build: the build to load (the training worker's own)
    constructor(build) {
        this.status = null;
        this._next = 1;
        this._calls = new Map();
        this._w = new Worker(new URL('./model-worker.mjs', import.meta.url), { type: 'module' });
        this._w.onmessage = (e) => {
            const { id, value, error, status } = e.data;
            const c = this._calls.get(id);
            if (!c) return;
            this._calls.delete(id);
            this.status = status;
            if (error) c.reject(Object.assign(new Error(error.message), { diverged: error.diverged }));
            else c.resolve(value);
        };
        this._w.onerror = (e) => this._fail(new Error(`the model worker failed: ${e.message || 'it did not start'}`));
        this.loaded = this.call('load', { build });
        this.loaded.catch(() => {});
        this.dataSent = Promise.reject(new Error('no data sent to the model worker'));
        this.dataSent.catch(() => {});
    }
    _fail(err) {
        this.failed = err;
        for (const c of this._calls.values()) c.reject(err);
        this._calls.clear();
    }
    call(op, args = {}, transfer = []) {
        if (this.failed) return Promise.reject(this.failed);
        return new Promise((resolve, reject) => {
            const id = this._next++;
            this._calls.set(id, { resolve, reject });
            this._w.postMessage({ id, op, args }, transfer);
        });
    }
    // The training and test sets ({ images, labels } each; copied)
    setData(train, test) {
        this.dataSent = this.call('data', { train, test });
        this.dataSent.catch(() => {});
        return this.dataSent;
    }
    terminate() {
        this._w.terminate();
        this._fail(new Error('the model worker was stopped'));
    }
}

export class RemoteTrainer {
    // described: { config, classes } from the model worker's create or resume
    constructor(mw, described) {
        this.remote = true;
        this._mw = mw;
        this.config = described.config;
        this.model = { classes: described.classes, saveSafetensors: ({ half = false } = {}) => mw.call('weights', { half }) };
    }
    static async create(mw, { settings, classes, init, weights }) {
        return new RemoteTrainer(mw, await mw.call('create', { settings, classes, init, weights }));
    }
    static async resume(mw, bytes) {
        return new RemoteTrainer(mw, await mw.call('resume', { bytes }));
    }
    get epoch() { return this._mw.status.epoch; }
    get position() { return this._mw.status.position; }
    get batches() { return this._mw.status.batches; }
    get stepCount() { return this._mw.status.stepCount; }
    get lr() { return this._mw.status.lr; }
    get done() { return this._mw.status.done; }
    get epochFinished() { return this._mw.status.epochFinished; }

    round() { return this._mw.call('round'); }   // -> { epoch } (endEpoch's) or { batch } (step's)
    checkpoint() { return this._mw.call('checkpoint'); }
    setLr(lr) { return this._mw.call('setLr', { lr }); }
    async setEpochs(n) { this.config = await this._mw.call('setEpochs', { n }); }
    evaluate(batchSize) { return this._mw.call('evaluate', { batchSize }); }
    free() { this._mw.call('free').catch(() => {}); }
}
