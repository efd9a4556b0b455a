// excite.mjs - the JavaScript API of the excite WebAssembly module (documented in README.md).
// loadExcite() picks the best build the environment supports (threads + SIMD, SIMD, plain),
// and wraps the exported C functions (api.c) in Model, Dataset and Trainer objects: typed
// arrays in, typed arrays out, errors thrown as Error with the core's message. JavaScript
// code outside this file never sees a pointer. Works in browsers, workers and Node.js.

export const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer',
                        'dog', 'frog', 'horse', 'ship', 'truck'];
export const IMG_SIZE = 3 * 32 * 32;
export const BUILDS = ['simd-threads', 'simd', 'plain'];

const KINDS = ['CNN', 'CNN_SE'];
const MAPS = { conv: 0, relu: 1, se: 2 };
const IS_NODE = typeof process === 'object' && !!(process.versions && process.versions.node);

// Tiny modules for feature detection (as in wasm-feature-detect): one returns a v128
// constant (SIMD128), the other does an atomic load on a shared memory (threads).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
    10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const THREADS_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0,
    5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]);

// What this environment can run: { simd, threads }.
export function detectSupport() {
    const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
    const simd = wasm && safeValidate(SIMD_PROBE);
    const isolated = IS_NODE || globalThis.crossOriginIsolated === true;
    const threads = wasm && isolated && typeof SharedArrayBuffer === 'function' &&
        typeof Atomics === 'object' && safeValidate(THREADS_PROBE) && sharedMemoryWorks();
    return { simd, threads };
}

function safeValidate(bytes) {
    try { return WebAssembly.validate(bytes); } catch { return false; }
}
function sharedMemoryWorks() {
    try {
        return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof
            SharedArrayBuffer;
    } catch { return false; }
}

// The most threads the threaded build uses (c/threads.c has up to 64; the pool's workers
// are started with the module, so more would cost memory and start-up for little).
export const MAX_THREADS = 16;

// The threads to use by default: every core the browser reports, up to MAX_THREADS (2 in Node).
export function defaultThreads() {
    if (IS_NODE) return 2;
    const hc = (typeof navigator === 'object' && navigator.hardwareConcurrency) || 2;
    return Math.max(1, Math.min(hc, MAX_THREADS));
}

// Load the module. Options: build ('auto' | 'simd-threads' | 'simd' | 'plain'),
// threads (false: never the threads build), numThreads (threads to use; default
// defaultThreads()), maxThreads (the most setThreads may give later: the pool's workers, one
// per thread but the caller, start with the module; default max(numThreads,
// defaultThreads())), baseUrl (where dist/ files are),
// threadsTimeoutMs (auto only: if the threads build fails or has not started by then, for
// example because the browser refuses the pool's nested workers, the SIMD build is used
// instead and ex.fallback says why).
export async function loadExcite(options = {}) {
    const support = detectSupport();
    let build = options.build || 'auto';
    const auto = build === 'auto';
    if (auto) {
        build = support.simd && support.threads && options.threads !== false ? 'simd-threads'
            : support.simd ? 'simd' : 'plain';
    } else if (!BUILDS.includes(build)) {
        throw new Error(`unknown build '${build}' (expected one of ${BUILDS.join(', ')})`);
    } else if ((build !== 'plain' && !support.simd) || (build === 'simd-threads' && !support.threads)) {
        throw new Error(`this environment cannot run the ${build} build` +
            (build === 'simd-threads' ? ' (needs SIMD and a cross-origin isolated page)' : ' (needs SIMD)'));
    }
    const base = options.baseUrl ? new URL(options.baseUrl, IS_NODE ? import.meta.url : globalThis.location.href)
        : new URL('./dist/', import.meta.url);
    if (!base.href.endsWith('/')) base.href += '/';
    if (auto && build === 'simd-threads') {
        const ms = options.threadsTimeoutMs || 30000;
        let timer;
        const threaded = start('simd-threads', base, support, options);
        try {
            return await Promise.race([
                threaded,
                new Promise((_, reject) => {
                    timer = setTimeout(() => reject(new Error(`the threads build did not start within ${ms / 1000} s`)), ms);
                }),
            ]);
        } catch (e) {
            threaded.then((late) => late.dispose(), () => {});   // stop its pool if it comes up late
            console.warn(`excite: ${e.message}; using the single-threaded SIMD build`);
            const ex = await start('simd', base, support, options);
            ex.fallback = e.message;
            return ex;
        } finally {
            clearTimeout(timer);
        }
    }
    return start(build, base, support, options);
}

async function start(build, base, support, options) {
    const jsUrl = new URL(`excite-${build}.mjs`, base);
    const args = {
        print: (s) => console.log(s),
        printErr: (s) => console.warn(s),
    };
    let numThreads = 1;
    if (build === 'simd-threads') {
        numThreads = clampThreads(options.numThreads || defaultThreads());
        const most = clampThreads(Math.max(numThreads, options.maxThreads || defaultThreads()));
        args.excitePoolSize = most - 1;   // Makefile WASM_POOL_EXPR
    }
    if (IS_NODE) {
        const { fileURLToPath } = await import('node:url');
        const fs = await import('node:fs');
        args.locateFile = (p) => fileURLToPath(new URL(p, base));
        args.wasmBinary = fs.readFileSync(fileURLToPath(new URL(`excite-${build}.wasm`, base)));
    } else {
        args.locateFile = (p) => new URL(p, base).href;
    }
    let factory;
    try {
        factory = (await import(jsUrl.href)).default;
    } catch (e) {
        throw new Error(`cannot load ${jsUrl.href}: ${e.message}`);
    }
    let mod;
    try {
        mod = await factory(args);
    } catch (e) {
        throw new Error(`cannot start the ${build} WebAssembly module: ${e && e.message ? e.message : e}`);
    }
    const ex = new Excite(mod, build, support);
    if (build === 'simd-threads') ex.setThreads(numThreads);
    return ex;
}

function clampThreads(n) {
    n = Math.floor(Number(n));
    return Number.isFinite(n) ? Math.max(1, Math.min(n, MAX_THREADS)) : 1;
}

// ---- memory helpers --------------------------------------------------------------------
class Excite {
    constructor(mod, build, support) {
        this._m = mod;
        this.build = build;
        this.support = support;
        this.threads = mod._ex_threads_get();
        this.maxThreads = mod._ex_threads_max();   // what setThreads can give
        this.fallback = null;        // why the threads build was not used (auto mode), or null
        this._scratch = new Map();   // slot name -> { ptr, size }, reused across calls
        this._live = new Set();      // objects to free on dispose()
        this.kernel = this._str(mod._ex_gemm_kernel());
        // The training settings as c/train_settings.h describes them, one entry per setting:
        // { name (the C field, e.g. 'batch_size'), key (the name createTrainer takes, e.g.
        // 'batchSize'), type ('kind' | 'u64' | 'int' | 'bool' | 'float'), default, min, max
        // (inclusive; a float setting is compared after rounding to float), flag (the
        // `excite train` option, '' if none), help }. kind's default/min/max are indices of
        // 'CNN', 'CNN_SE'. A u64 (seed) must also be a safe integer here (JS numbers).
        this.trainSettings = Object.freeze(readSettingsTable(mod, (p) => this._str(p)));
    }

    // ---- raw memory (internal) ----
    _buf() { return this._m.wasmMemory ? this._m.wasmMemory.buffer : this._m.HEAPU8.buffer; }
    _u8(p, n) { return new Uint8Array(this._buf(), p, n); }
    _f32(p, n) { return new Float32Array(this._buf(), p, n); }
    _i32(p, n) { return new Int32Array(this._buf(), p, n); }
    _f64(p, n) { return new Float64Array(this._buf(), p, n); }
    _str(p) {
        if (!p) return '';
        const mem = new Uint8Array(this._buf());
        let end = p;
        while (mem[end] !== 0) end++;
        return new TextDecoder().decode(mem.slice(p, end));
    }
    // A reusable buffer of at least `bytes` bytes (8-byte aligned); grown when needed, in
    // steps (powers of two up to 64 KiB, then multiples of 64 KiB), so that inputs of
    // slightly varying sizes (files) do not reallocate every time.
    _tmp(slot, bytes) {
        bytes = bytes <= 65536 ? Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))))
            : Math.ceil(bytes / 65536) * 65536;
        let s = this._scratch.get(slot);
        if (!s || s.size < bytes) {
            if (s) this._m._free(s.ptr);
            const ptr = this._m._malloc(bytes);
            if (!ptr) {
                this._scratch.delete(slot);
                throw new Error(`out of WebAssembly memory (asked for ${bytes} bytes)`);
            }
            s = { ptr, size: bytes };
            this._scratch.set(slot, s);
        }
        return s.ptr;
    }
    _cstr(slot, s) {
        const bytes = new TextEncoder().encode(s);
        const p = this._tmp(slot, bytes.length + 1);
        this._u8(p, bytes.length + 1).set([...bytes, 0]);
        return p;
    }
    _copyIn(slot, arr) {
        const p = this._tmp(slot, arr.byteLength);
        this._u8(p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
        return p;
    }
    _lastError() { return this._str(this._m._ex_last_error()); }

    // Images (Uint8Array bytes or Float32Array normalised, B*3072 values) -> normalised
    // float pointer in slot 'x'.
    _images(images, expectB) {
        if (!(images instanceof Uint8Array || images instanceof Uint8ClampedArray ||
              images instanceof Float32Array)) {
            throw new Error('images must be a Uint8Array (bytes) or a Float32Array (normalised)');
        }
        const n = images.length;
        if (n === 0 || n % IMG_SIZE !== 0) {
            throw new Error(`images: length ${n} is not a positive multiple of 3*32*32 = ${IMG_SIZE}`);
        }
        const B = n / IMG_SIZE;
        if (expectB !== undefined && B !== expectB) {
            throw new Error(`images: expected ${expectB} image(s), got ${B}`);
        }
        const x = this._tmp('x', n * 4);
        if (images instanceof Float32Array) {
            this._f32(x, n).set(images);
        } else {
            const b = this._copyIn('xb', images);
            this._m._ex_normalize(x, b, B);
        }
        return { x, B };
    }
    _labels(labels, B) {
        if (!(labels instanceof Uint8Array)) throw new Error('labels must be a Uint8Array');
        if (labels.length !== B) throw new Error(`labels: expected ${B}, got ${labels.length}`);
        for (let i = 0; i < B; i++) {
            if (labels[i] > 9) throw new Error(`labels: label ${labels[i]} at ${i} is not in 0..9`);
        }
        return this._copyIn('y', labels);
    }

    // ---- public API ----
    heapBytes() { return this._buf().byteLength; }
    heapUsed() { return this._m._ex_heap_used(); }

    // reduction: the SE reduction ratio R (1..32, hidden size C / R; default 16, the
    // lesson's); classes: the class names in label order (2..10, any UTF-8; default null:
    // CIFAR-10's CLASSES), checked as checkClassNames does.
    createModel(kind = 'CNN', { seed = 1, maxBatch = 64, reduction = 16, classes = null } = {}) {
        const k = KINDS.indexOf(kind);
        if (k < 0) throw new Error(`unknown model kind '${kind}' (expected CNN or CNN_SE)`);
        if (!Number.isInteger(reduction)) throw new Error(`reduction must be an integer (got ${reduction})`);
        const json = this._classesJson(classes);
        const p = this._m._ex_model_create_shaped(k, reduction, json ? this._cstr('classes', json) : 0,
                                                  Number(seed), maxBatch);
        if (!p) throw new Error(this._lastError());
        return new Model(this, p, null);
    }

    // null/undefined -> '' (CIFAR-10's); an array of strings -> its JSON (classes.h).
    _classesJson(classes) {
        if (classes === null || classes === undefined) return '';
        if (!Array.isArray(classes) || classes.some((c) => typeof c !== 'string')) {
            throw new Error('classes must be an array of class names (strings)');
        }
        return JSON.stringify(classes);
    }

    // Throws an Error saying what is wrong with a list of class names (2..10 names, 1..63
    // UTF-8 bytes each, no control characters, '/' or '\\', no duplicates ignoring ASCII case;
    // c/classes.h), else returns the names.
    checkClassNames(names) {
        const json = this._classesJson(names);
        if (this._m._ex_classes_check(this._cstr('classes', json || '[]')) !== 0) throw new Error(this._lastError());
        return names;
    }

    // The train/test split of c/classes.h (split_stratified), the one `excite train --images`
    // makes: labels (Uint8Array, the pictures in canonical order: class by class in label
    // order, each class's pictures in their order), classes (names, for messages and N),
    // testFraction (default: the test_fraction setting's), seed (the run's seed) ->
    // { train: Int32Array, test: Int32Array } of indices into labels, both ascending.
    splitImages(labels, { classes, testFraction, seed = 1 } = {}) {
        if (!(labels instanceof Uint8Array)) throw new Error('splitImages: labels must be a Uint8Array');
        if (testFraction === undefined) testFraction = this.trainSettings.find((x) => x.name === 'test_fraction').default;
        const json = this._classesJson(classes);
        const n = labels.length;
        const y = this._copyIn('y', labels.length ? labels : new Uint8Array(1));
        const tr = this._tmp('split-train', Math.max(1, n) * 4), te = this._tmp('split-test', Math.max(1, n) * 4);
        const sizes = this._tmp('sizes', 8);
        if (this._m._ex_split(y, n, json ? this._cstr('classes', json) : 0, testFraction, Number(seed),
                              tr, te, sizes) !== 0) throw new Error(this._lastError());
        const [nTrain, nTest] = this._i32(sizes, 2);
        return { train: this._i32(tr, nTrain).slice(), test: this._i32(te, nTest).slice() };
    }

    // What model a weights file or checkpoint is for (c/model.h model_file_shape):
    // { kind, reduction, numClasses, classes } from its shapes and metadata.
    weightsInfo(bytes) {
        checkBytes(bytes, 'weightsInfo');
        const b = this._copyIn('file', bytes);
        const out = this._tmp('wshape', 8);
        if (this._m._ex_weights_shape(b, bytes.length, out) !== 0) throw new Error(this._lastError());
        const [k, reduction] = this._i32(out, 2);
        const classes = JSON.parse(this._str(this._m._ex_weights_classes()));
        return { kind: KINDS[k], reduction, numClasses: classes.length, classes };
    }

    createDataset(images, labels) {
        if (!(images instanceof Uint8Array) || !(labels instanceof Uint8Array)) {
            throw new Error('createDataset: images and labels must be Uint8Arrays');
        }
        const n = labels.length;
        if (images.length !== n * IMG_SIZE) {
            throw new Error(`createDataset: ${images.length} image bytes for ${n} labels ` +
                            `(expected ${n * IMG_SIZE})`);
        }
        const p = this._m._ex_dataset_create(n);
        if (!p) throw new Error(this._lastError());
        this._u8(this._m._ex_dataset_images(p), images.length).set(images);
        this._u8(this._m._ex_dataset_labels(p), n).set(labels);
        const bad = this._m._ex_dataset_check(p);
        if (bad >= 0) {
            this._m._ex_dataset_free(p);
            throw new Error(`createDataset: label ${labels[bad]} of image ${bad} is not in 0..9`);
        }
        return new Dataset(this, p, n);
    }

    // classes: the names of the labels (default CIFAR-10's); init: the bytes of pretrained
    // weights to fine-tune from (convolution blocks and fc1 copied, fc2 fresh for N classes;
    // the kind and SE hidden sizes must match), or null. settings.freezeConv freezes the
    // convolution blocks (c/model.h model_set_freeze_conv).
    createTrainer(settings, train, test, { classes = null, init = null } = {}) {
        const cfg = this._config(settings);
        let t = null;
        try {
            const json = this._classesJson(classes);
            const p = this._m._ex_trainer_create_classes(cfg, json ? this._cstr('classes', json) : 0,
                                                         train._live(), test._live());
            if (!p) throw new Error(this._lastError());
            t = new Trainer(this, p, train, test);
            if (init) {
                checkBytes(init, 'createTrainer init');
                const b = this._copyIn('file', init);
                if (this._m._ex_trainer_init_weights(p, b, init.length) !== 0) throw t._error(-1);
            }
            return t;
        } catch (e) {
            if (t) t.free();
            throw e;
        } finally {
            this._m._ex_config_free(cfg);
        }
    }

    resumeTrainer(bytes, train, test) {
        checkBytes(bytes, 'resumeTrainer');
        const b = this._copyIn('file', bytes);
        const p = this._m._ex_trainer_resume(b, bytes.length, train._live(), test._live());
        if (!p) throw new Error(this._lastError());
        return new Trainer(this, p, train, test);
    }

    readCheckpointConfig(bytes) {
        checkBytes(bytes, 'readCheckpointConfig');
        const b = this._copyIn('file', bytes);
        const sizes = this._tmp('sizes', 8);
        const cfg = this._m._ex_checkpoint_config(b, bytes.length, sizes);
        if (!cfg) throw new Error(this._lastError());
        const [trainImages, testImages] = this._i32(sizes, 2);
        const config = this._readConfig(cfg);
        this._m._ex_config_free(cfg);
        return { config, trainImages, testImages };
    }

    // Uint8Array(B*3072) bytes -> Float32Array normalised.
    normalize(bytes) {
        const { x, B } = this._images(bytes);
        return this._f32(x, B * IMG_SIZE).slice();
    }

    // Any decoded image (w x h, channels 1..4 interleaved bytes, e.g. ImageData.data with 4)
    // -> Uint8Array(3072) (3,32,32): centre square crop, area-average downscale (c/cifar.h).
    fitImage(pixels, w, h, channels = 4) {
        if (!(pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray)) {
            throw new Error('fitImage: pixels must be a Uint8Array or Uint8ClampedArray');
        }
        if (!(w > 0 && h > 0 && channels >= 1 && channels <= 4) || pixels.length !== w * h * channels) {
            throw new Error(`fitImage: ${pixels.length} bytes do not make a ${w}x${h} image with ` +
                            `${channels} channel(s)`);
        }
        const src = this._copyIn('img', pixels);
        const out = this._tmp('fit', IMG_SIZE);
        if (this._m._ex_image_fit(out, src, w, h, channels) !== 0) throw new Error(this._lastError());
        return this._u8(out, IMG_SIZE).slice();
    }

    // The largest picture decodeImage and fitPixels take (c/image.h IMAGE_MAX_PIXELS); a file
    // that declares more is refused from its header, before decoding.
    get imageMaxPixels() { return this._m._ex_image_max_pixels(); }

    // A PNG or JPEG file's bytes -> the picture `excite predict` makes of it (c/image.h):
    // stb_image decoding (no colour management), the EXIF orientation, centre crop, area
    // average to 32x32. -> { input: Uint8Array(3072) (3,32,32), format: 'PNG' | 'JPEG',
    // w, h, channels (as stored), orientation (EXIF, 1..8), width, height (upright),
    // crop: { side, sx, sy } (in the upright picture), view: { width, height,
    // rgba: Uint8ClampedArray } (the whole upright picture, longer side at most 256) }.
    // Throws an Error with code 'format' | 'size' | 'corrupt' | 'memory' (size: also w, h).
    decodeImage(bytes) {
        checkBytes(bytes, 'decodeImage');
        const b = this._copyIn('file', bytes);
        return this._picture((p) => this._m._ex_picture_file(p, b, bytes.length));
    }

    // Decoded pixels (w x h, channels 1..4 interleaved, e.g. ImageData.data) -> the same
    // picture as decodeImage (format 'pixels', orientation 1): for what the core does not
    // decode (GIF, WebP, BMP decoded by the browser, camera frames).
    fitPixels(pixels, w, h, channels = 4) {
        if (!(pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray)) {
            throw new Error('fitPixels: pixels must be a Uint8Array or Uint8ClampedArray');
        }
        if (!(w > 0 && h > 0 && channels >= 1 && channels <= 4) || pixels.length !== w * h * channels) {
            throw new Error(`fitPixels: ${pixels.length} bytes do not make a ${w}x${h} image with ` +
                            `${channels} channel(s)`);
        }
        const src = this._copyIn('img', pixels);
        return this._picture((p) => this._m._ex_picture_pixels(p, src, w, h, channels));
    }

    _picture(run) {
        const p = this._m._ex_picture_create();
        if (!p) throw new Error(this._lastError());
        try {
            const rc = run(p);
            const info = this._tmp('picinfo', 11 * 4);
            this._m._ex_picture_info(p, info);
            const [w, h, channels, orientation, width, height, side, sx, sy, vw, vh] = this._i32(info, 11);
            if (rc !== 0) {
                const e = new Error(this._lastError());
                e.code = { [-1]: 'format', [-2]: 'size', [-3]: 'corrupt', [-4]: 'memory' }[rc] || 'corrupt';
                e.format = this._str(this._m._ex_picture_format(p)) || null;
                if (e.code === 'size') { e.w = w; e.h = h; }
                throw e;
            }
            return {
                input: this._u8(this._m._ex_picture_input(p), IMG_SIZE).slice(),
                format: this._str(this._m._ex_picture_format(p)), w, h, channels, orientation,
                width, height, crop: { side, sx, sy },
                view: { width: vw, height: vh,
                        rgba: new Uint8ClampedArray(this._u8(this._m._ex_picture_view(p), vw * vh * 4)) },
            };
        } finally {
            this._m._ex_picture_free(p);
        }
    }

    // batchSize: the model's activation memory grows to fit it and stays (CNN_SE: ~1.4 MB
    // per image of batch), so keep it near the training batch size.
    evaluate(model, dataset, batchSize = 64) {
        const out = this._tmp('evalout', 4 * 8), tot = this._tmp('ctot', 40),
            cor = this._tmp('ccor', 40), conf = this._tmp('conf', 400);
        if (this._m._ex_evaluate(model._live(), dataset._live(), batchSize, out, tot, cor, conf) !== 0) {
            throw new Error(this._lastError());
        }
        return this._evalResult(out, tot, cor, conf);
    }

    // { n, loss, accuracy, numClasses, classTotal (N), classCorrect (N), confusion (N*N,
    // row = true class, column = predicted) } from ex_evaluate's outputs.
    _evalResult(out, tot, cor, conf) {
        const [n, loss, accuracy, N] = this._f64(out, 4);
        const full = this._i32(conf, 100), confusion = new Int32Array(N * N);
        for (let i = 0; i < N; i++) confusion.set(full.subarray(i * 10, i * 10 + N), i * N);
        return { n, loss, accuracy, numClasses: N, classTotal: this._i32(tot, N).slice(),
                 classCorrect: this._i32(cor, N).slice(), confusion };
    }

    // Images [start, start + count) of a dataset as one eval batch (count <= 256): what
    // evaluate() returns for them, and per image the predicted class (predictions,
    // Uint8Array(count)) and the softmax probabilities (probs, Float32Array(count*N)).
    evaluateImages(model, dataset, start, count) {
        const out = this._tmp('evalout', 4 * 8), tot = this._tmp('ctot', 40),
            cor = this._tmp('ccor', 40), conf = this._tmp('conf', 400),
            pred = this._tmp('evalpred', count), probs = this._tmp('evalprobs', count * 40);
        if (this._m._ex_evaluate_images(model._live(), dataset._live(), start, count, out, tot, cor,
                                        conf, pred, probs) !== 0) {
            throw new Error(this._lastError());
        }
        const r = this._evalResult(out, tot, cor, conf);
        return { ...r, predictions: this._u8(pred, count).slice(),
                 probs: this._f32(probs, count * r.numClasses).slice() };
    }

    // A new model of the shape a weights file is for (weightsInfo: kind, R, classes), loaded
    // from it. Options: seed (irrelevant once loaded), maxBatch.
    modelFromSafetensors(bytes, { maxBatch = 64 } = {}) {
        const info = this.weightsInfo(bytes);
        const m = this.createModel(info.kind, { maxBatch, reduction: info.reduction, classes: info.classes });
        try {
            m.loadSafetensors(bytes);
        } catch (e) {
            m.free();
            throw e;
        }
        return m;
    }

    // The model a safetensors file is for ('CNN' or 'CNN_SE': CNN_SE iff it has
    // ca1.fc.0.weight, c/train.h weights_detect_kind); throws if it is not a weights file.
    weightsKind(bytes) {
        checkBytes(bytes, 'weightsKind');
        const b = this._copyIn('file', bytes);
        const k = this._m._ex_weights_kind(b, bytes.length);
        if (k < 0) throw new Error(this._lastError());
        return KINDS[k];
    }

    // ReduceLROnPlateau (c/optim.h); state { best, numBadEpochs } is updated in place.
    plateauStep(state, metric, lr, { factor = 0.5, patience = 3, threshold = 1e-4, minLr = 0 } = {}) {
        const s = this._tmp('plateau', 16);
        const v = this._f64(s, 2);
        v[0] = state.best === undefined ? Infinity : state.best;
        v[1] = state.numBadEpochs || 0;
        const out = this._m._ex_plateau_step(s, metric, lr, factor, patience, threshold, minLr);
        const r = this._f64(s, 2);
        state.best = r[0];
        state.numBadEpochs = r[1];
        return out;
    }

    // Use n threads (1 .. maxThreads; results do not depend on it) -> the number in use.
    setThreads(n) {
        const k = Math.floor(Number(n));
        if (!Number.isFinite(k) || k < 1) throw new Error(`the number of threads must be a whole number from 1 to ${this.maxThreads} (got ${n})`);
        this.threads = this._m._ex_threads_set(Math.min(k, this.maxThreads));
        return this.threads;
    }

    // Free every live object and the scratch buffers, and stop the thread pool. The
    // instance is unusable afterwards.
    dispose() {
        for (const o of [...this._live]) o.free();
        for (const s of this._scratch.values()) this._m._free(s.ptr);
        this._scratch.clear();
        if (this._m.PThread) this._m.PThread.terminateAllThreads();
    }

    // ---- CSV rows: the core's formatter (c/train.h documents every column) ----
    // The first line of a log file: 'batches', or 'epochs' (isVal: val_ instead of test_).
    csvHeader(file, isVal = false) {
        if (file !== 'batches' && file !== 'epochs') throw new Error("csvHeader: 'batches' or 'epochs'");
        return this._str(this._m._ex_csv_header(file === 'batches' ? 1 : 0, isVal ? 1 : 0));
    }
    // A row (no newline) of the batches file from what Trainer.step() returns.
    csvBatchRow(r) {
        const rec = this._tmp('csvrec', 9 * 8);
        this._f64(rec, 8).set([r.epoch, r.batch, r.batches, r.step, r.loss, r.accuracy, r.lr, r.imagesPerSec]);
        return this._str(this._m._ex_csv_batch_row(rec));
    }
    // A row of the epochs file from what Trainer.endEpoch() returns.
    csvEpochRow(r) {
        const rec = this._tmp('csvrec', 9 * 8);
        this._f64(rec, 9).set([r.epoch, r.trainLoss, r.trainAcc, r.testLoss, r.testAcc, r.isVal ? 1 : 0,
                               r.lr, r.nextLr, r.seconds]);
        return this._str(this._m._ex_csv_epoch_row(rec));
    }

    // ---- settings <-> TrainConfig (through the table, this.trainSettings) ----
    _config(settings = {}) {
        const cfg = this._m._ex_config_create();
        if (!cfg) throw new Error(this._lastError());
        try {
            for (const [key, value] of Object.entries(settings)) {
                if (value === undefined || value === null) continue;
                const s = this.trainSettings.find((x) => x.key === key);
                if (!s) throw new Error(`unknown training setting '${key}'`);
                let v = value;
                if (s.type === 'kind') {
                    v = KINDS.indexOf(value);
                    if (v < 0) throw new Error(`unknown model kind '${value}'`);
                } else if (typeof v === 'boolean') {
                    v = v ? 1 : 0;
                }
                if (typeof v !== 'number' || !Number.isFinite(v)) {
                    throw new Error(`training setting ${key}: ${value} is not a finite number`);
                }
                if (s.type === 'u64' && !Number.isSafeInteger(v)) {
                    throw new Error(`training setting ${key}: ${value} is not an integer in 0..${Number.MAX_SAFE_INTEGER}`);
                }
                if (this._m._ex_config_set(cfg, this._cstr('key', s.name), v) !== 0) {
                    throw new Error(this._lastError());
                }
            }
        } catch (e) {
            this._m._ex_config_free(cfg);
            throw e;
        }
        return cfg;
    }
    _readConfig(cfg) {
        const out = {};
        for (const s of this.trainSettings) {
            let v = this._m._ex_config_get(cfg, this._cstr('key', s.name));
            if (s.type === 'kind') v = KINDS[v];
            else if (s.type === 'bool') v = v !== 0;
            else if (s.type === 'float') v = Math.fround(v);
            out[s.key] = v;
        }
        return out;
    }
}

// 'batch_size' -> 'batchSize'
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function readSettingsTable(mod, str) {
    const out = [];
    for (let i = 0, n = mod._ex_settings_count(); i < n; i++) {
        const name = str(mod._ex_setting_text(i, 0));
        out.push(Object.freeze({ name, key: camel(name), type: str(mod._ex_setting_text(i, 1)),
            default: mod._ex_setting_number(i, 0), min: mod._ex_setting_number(i, 1),
            max: mod._ex_setting_number(i, 2), flag: str(mod._ex_setting_text(i, 2)),
            help: str(mod._ex_setting_text(i, 3)) }));
    }
    return out;
}

// Is v a value setting s (an entry of ex.trainSettings) accepts? The same rule as the core's
// train_setting_set: kind 'CNN' | 'CNN_SE'; bool true/false/0/1; int/u64 an integer in
// [min, max] (u64 also a safe integer); float finite, in [min, max] after rounding to float.
export function settingAccepts(s, v) {
    if (s.type === 'kind') return KINDS.includes(v);
    if (s.type === 'bool') return typeof v === 'boolean' || v === 0 || v === 1;
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    if (s.type === 'float') return Math.fround(v) >= Math.fround(s.min) && Math.fround(v) <= Math.fround(s.max);
    if (s.type === 'u64') return Number.isSafeInteger(v) && v >= 0;
    return Number.isInteger(v) && v >= s.min && v <= s.max;
}

function checkBytes(bytes, what) {
    if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: expected a Uint8Array`);
    if (bytes.length === 0) throw new Error(`${what}: the file is empty (0 bytes)`);
}

// ---- Model ------------------------------------------------------------------------------
class Model {
    // owner: null for a model created by createModel (freed with free()), or the Trainer
    // whose model it is (freed with the trainer).
    constructor(ex, ptr, owner) {
        this._ex = ex;
        this._p = ptr;
        this._owner = owner;
        this._tensors = null;
        if (!owner) ex._live.add(this);
    }
    _live() {
        if (!this._p || (this._owner && !this._owner._p)) throw new Error('this model has been freed');
        return this._p;
    }
    _fail() { return new Error(this._ex._str(this._ex._m._ex_model_error(this._p))); }

    get kind() { return KINDS[this._ex._m._ex_model_kind(this._live())]; }
    get numParams() { return this._ex._m._ex_model_num_params(this._live()); }
    // The reduction ratio R (CNN: the one it was made with, unused), the SE hidden sizes
    // C / R per block ([0, 0, 0] for CNN), the number of classes N and their names.
    get reduction() { return this._ex._m._ex_model_reduction(this._live()); }
    get hiddenSizes() { const p = this._live(); return [0, 1, 2].map((b) => this._ex._m._ex_model_se_hidden(p, b)); }
    get numClasses() { return this._ex._m._ex_model_num_classes(this._live()); }
    get classes() { return JSON.parse(this._ex._str(this._ex._m._ex_model_classes(this._live()))); }
    setClasses(names) {
        const json = this._ex._classesJson(names);
        if (!json) throw new Error('setClasses: expected an array of names');
        if (this._ex._m._ex_model_set_classes(this._live(), this._ex._cstr('classes', json)) !== 0) {
            throw new Error(this._ex._lastError());
        }
    }
    // Fine-tuning: the convolution blocks and fc1 from pretrained weights (bytes of a weights
    // file of the same kind and SE hidden sizes, any N); fc2 keeps its values.
    initFrom(bytes) {
        const p = this._live();
        checkBytes(bytes, 'initFrom');
        const b = this._ex._copyIn('file', bytes);
        if (this._ex._m._ex_model_init_from(p, b, bytes.length) !== 0) throw new Error(this._ex._lastError());
    }
    // Freeze the convolution blocks: training steps change only fc1 and fc2 (c/model.h).
    get freezeConv() { return this._ex._m._ex_model_freeze_conv(this._live()) !== 0; }
    set freezeConv(on) { this._ex._m._ex_model_set_freeze_conv(this._live(), on ? 1 : 0); }

    tensors() {
        const m = this._ex._m, p = this._live();
        if (!this._tensors) {
            const n = m._ex_model_num_tensors(p);
            if (n < 0) throw new Error(`tensors: ${this._ex._lastError()}`);
            this._tensors = [];
            for (let i = 0; i < n; i++) this._tensors.push({ ...this.tensorAt(i), index: i });
        }
        return this._tensors.map(({ index, ...t }) => ({ ...t, shape: [...t.shape] }));
    }

    // Tensor i of the state dict: { name, shape, numel, trainable, dtype }.
    tensorAt(i) {
        const m = this._ex._m, p = this._live();
        if (!Number.isInteger(i)) throw new Error(`tensorAt: the index must be an integer (got ${typeof i === 'string' ? JSON.stringify(i) : String(i)})`);
        const fail = () => new Error(`tensorAt: ${this._ex._lastError()}`);
        const ndim = m._ex_tensor_ndim(p, i);
        if (ndim < 0) throw fail();
        const shape = [];
        for (let d = 0; d < ndim; d++) {
            const s = m._ex_tensor_dim(p, i, d);
            if (s < 0) throw fail();
            shape.push(s);
        }
        const name = m._ex_tensor_name(p, i), numel = m._ex_tensor_numel(p, i);
        const trainable = m._ex_tensor_trainable(p, i), dtype = m._ex_tensor_dtype(p, i);
        if (!name || numel < 0 || trainable < 0 || dtype < 0) throw fail();
        return { name: this._ex._str(name), shape, numel, trainable: trainable !== 0,
                 dtype: dtype === 2 ? 'I64' : 'F32' };
    }

    getTensor(name) {
        const p = this._live();
        this.tensors();
        const t = this._tensors.find((x) => x.name === name);
        if (!t) throw new Error(`no tensor named '${name}'`);
        const d = this._ex._m._ex_tensor_data(p, t.index);
        if (!d) throw new Error(`getTensor: ${this._ex._lastError()}`);
        return t.dtype === 'I64' ? new BigInt64Array(this._ex._buf(), d, t.numel).slice()
            : this._ex._f32(d, t.numel).slice();
    }

    setDropout(p) {
        if (!(p >= 0 && p < 1)) throw new Error('dropout must be in [0, 1)');
        this._ex._m._ex_model_set_dropout(this._live(), p);
    }

    loadSafetensors(bytes) {
        const p = this._live();
        checkBytes(bytes, 'loadSafetensors');
        const b = this._ex._copyIn('file', bytes);
        if (this._ex._m._ex_model_load(p, b, bytes.length) !== 0) throw this._fail();
    }

    saveSafetensors({ half = false } = {}) {
        const p = this._live(), m = this._ex._m;
        const len = this._ex._tmp('len', 4);
        const out = m._ex_model_save(p, half ? 1 : 0, len);
        if (!out) throw this._fail();
        const bytes = this._ex._u8(out, this._ex._i32(len, 1)[0]).slice();
        m._free(out);
        return bytes;
    }

    trainStep(images, labels, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = {}) {
        const p = this._live(), ex = this._ex;
        const { x, B } = ex._images(images);
        const y = ex._labels(labels, B);
        const out = ex._tmp('out', 8);
        if (ex._m._ex_model_train_step(p, x, y, B, lr, beta1, beta2, eps, weightDecay, out, out + 4) !== 0) {
            throw this._fail();
        }
        return { loss: ex._f32(out, 1)[0], correct: ex._i32(out + 4, 1)[0] };
    }

    evalBatch(images, labels) {
        const p = this._live(), ex = this._ex;
        const { x, B } = ex._images(images);
        const y = ex._labels(labels, B);
        const out = ex._tmp('out', 16), pred = ex._tmp('pred', B);
        if (ex._m._ex_model_eval_batch(p, x, y, B, out, out + 8, pred) !== 0) throw this._fail();
        return { lossSum: ex._f64(out, 1)[0], correct: ex._i32(out + 8, 1)[0], pred: ex._u8(pred, B).slice() };
    }

    logits(images) {
        const p = this._live(), ex = this._ex;
        const { x, B } = ex._images(images);
        const l = ex._m._ex_model_logits(p, x, B);
        if (!l) throw this._fail();
        return ex._f32(l, B * this.numClasses).slice();
    }

    predict(image) {
        const p = this._live(), ex = this._ex;
        const { x } = ex._images(image, 1);
        const probs = ex._tmp('probs', 40);
        if (ex._m._ex_model_predict(p, x, probs) !== 0) throw this._fail();
        return ex._f32(probs, this.numClasses).slice();
    }

    featureMap(block, which = 'relu') {
        const p = this._live(), ex = this._ex;
        if (!(which in MAPS)) throw new Error(`featureMap: which must be conv, relu or se`);
        checkBlock(block);
        const dims = ex._tmp('dims', 12);
        const d = ex._m._ex_model_feature_map(p, block, MAPS[which], dims);
        if (!d) return null;
        const [C, H, W] = ex._i32(dims, 3);
        return { C, H, W, data: ex._f32(d, C * H * W).slice() };
    }

    seView(block) {
        const p = this._live(), ex = this._ex;
        checkBlock(block);
        const ptrs = ex._tmp('septrs', 20), dims = ex._tmp('sedims', 8);
        if (ex._m._ex_model_se_view(p, block, ptrs, dims) !== 0) return null;
        const [C, R] = ex._i32(dims, 2);
        const [pooled, hiddenPre, hidden, z, s] = ex._i32(ptrs, 5);
        return { C, R, pooled: ex._f32(pooled, C).slice(), hiddenPre: ex._f32(hiddenPre, R).slice(),
                 hidden: ex._f32(hidden, R).slice(), z: ex._f32(z, C).slice(), s: ex._f32(s, C).slice() };
    }

    gradCam(image, cls, block = 2) {
        const p = this._live(), ex = this._ex;
        checkBlock(block);
        const N = this.numClasses;
        if (!(Number.isInteger(cls) && cls >= 0 && cls < N)) throw new Error(`gradCam: class must be 0..${N - 1}`);
        const { x } = ex._images(image, 1);
        const cam = ex._tmp('cam', 32 * 32 * 4), hw = ex._tmp('hw', 8);
        if (ex._m._ex_model_gradcam(p, x, cls, block, cam, hw) !== 0) throw this._fail();
        const [H, W] = ex._i32(hw, 2);
        return { H, W, data: ex._f32(cam, H * W).slice() };
    }

    // Mean over channels of the block's output (after SE for CNN_SE, else after ReLU) of the
    // last predicted image: the lesson's class-agnostic heat map.
    channelMean(block) {
        const fm = (this.kind === 'CNN_SE' && this.featureMap(block, 'se')) || this.featureMap(block, 'relu');
        if (!fm) return null;
        const { C, H, W, data } = fm;
        const out = new Float32Array(H * W);
        for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) out[i] += data[c * H * W + i];
        for (let i = 0; i < H * W; i++) out[i] /= C;
        return { H, W, data: out };
    }

    free() {
        if (this._owner) throw new Error("a trainer's model is freed with its trainer");
        if (this._p) {
            this._ex._m._ex_model_free(this._p);
            this._p = 0;
            this._ex._live.delete(this);
        }
    }
}

function checkBlock(block) {
    if (!(Number.isInteger(block) && block >= 0 && block < 3)) throw new Error('block must be 0, 1 or 2');
}

// ---- Dataset ----------------------------------------------------------------------------
class Dataset {
    constructor(ex, ptr, n) {
        this._ex = ex;
        this._p = ptr;
        this.n = n;
        ex._live.add(this);
    }
    _live() {
        if (!this._p) throw new Error('this dataset has been freed');
        return this._p;
    }
    free() {
        if (this._p) {
            this._ex._m._ex_dataset_free(this._p);
            this._p = 0;
            this._ex._live.delete(this);
        }
    }
}

// ---- Trainer ----------------------------------------------------------------------------
class Trainer {
    constructor(ex, ptr, train, test) {
        this._ex = ex;
        this._p = ptr;
        this._data = [train, test];
        this.model = new Model(ex, ex._m._ex_trainer_model(ptr), this);
        ex._live.add(this);
    }
    _live() {
        if (!this._p) throw new Error('this trainer has been freed');
        if (this._data.some((d) => !d._p)) throw new Error("this trainer's dataset has been freed");
        return this._p;
    }
    _status() {
        const s = this._ex._tmp('status', 8 * 8);
        this._ex._m._ex_trainer_status(this._live(), s);
        return this._ex._f64(s, 7);
    }
    get epoch() { return this._status()[0]; }
    get position() { return this._status()[1]; }
    get batches() { return this._status()[2]; }
    get stepCount() { return this._status()[3]; }
    get lr() { return Math.fround(this._status()[4]); }
    get done() { return this._status()[5] !== 0; }
    get epochFinished() { return this._status()[6] !== 0; }
    get config() { return this._ex._readConfig(this._ex._m._ex_trainer_config(this._live())); }

    setEpochs(n) {
        const s = this._ex.trainSettings.find((x) => x.name === 'epochs');
        if (!settingAccepts(s, n)) throw new Error(`epochs must be an integer in ${s.min}..${s.max} (got ${n})`);
        this._ex._m._ex_trainer_set_epochs(this._live(), n);
    }

    // The learning rate of the next batches; the scheduler goes on from it.
    setLr(lr) {
        if (this._ex._m._ex_trainer_set_lr(this._live(), lr) !== 0) throw this._error(-1);
    }

    _error(rc) {
        const e = new Error(this._ex._str(this._ex._m._ex_trainer_error(this._p)));
        e.diverged = rc === -2;
        return e;
    }

    step() {
        const p = this._live(), out = this._ex._tmp('rec', 10 * 8);
        const rc = this._ex._m._ex_trainer_step(p, out);
        if (rc !== 0) throw this._error(rc);
        const r = this._ex._f64(out, 8);
        return { epoch: r[0], batch: r[1], batches: r[2], step: r[3], loss: r[4], accuracy: r[5],
                 lr: r[6], imagesPerSec: r[7] };
    }

    endEpoch() {
        const p = this._live(), out = this._ex._tmp('rec', 10 * 8);
        const rc = this._ex._m._ex_trainer_end_epoch(p, out);
        if (rc !== 0) throw this._error(rc);
        const r = this._ex._f64(out, 9);
        return { epoch: r[0], trainLoss: r[1], trainAcc: r[2], testLoss: r[3], testAcc: r[4],
                 isVal: r[5] !== 0, lr: r[6], nextLr: r[7], seconds: r[8] };
    }

    checkpoint() {
        const p = this._live(), m = this._ex._m;
        const len = this._ex._tmp('len', 4);
        const out = m._ex_trainer_checkpoint(p, len);
        if (!out) throw this._error(-1);
        const bytes = this._ex._u8(out, this._ex._i32(len, 1)[0]).slice();
        m._free(out);
        return bytes;
    }

    free() {
        if (this._p) {
            this._ex._m._ex_trainer_free(this._p);
            this._p = 0;
            this._ex._live.delete(this);
        }
    }
}

// RGBA pixels of a 32x32 image (ImageData.data, 4096 bytes) -> Uint8Array(3072) (3,32,32).
export function rgbaToCHW(rgba) {
    if (!rgba || rgba.length !== 32 * 32 * 4) throw new Error('rgbaToCHW: expected 32*32*4 RGBA bytes');
    const out = new Uint8Array(IMG_SIZE);
    for (let i = 0; i < 1024; i++) {
        out[i] = rgba[4 * i];
        out[1024 + i] = rgba[4 * i + 1];
        out[2048 + i] = rgba[4 * i + 2];
    }
    return out;
}

// (3,32,32) bytes -> RGBA 32x32 (Uint8ClampedArray(4096)) for an ImageData.
export function chwToRGBA(chw) {
    if (!chw || chw.length !== IMG_SIZE) throw new Error('chwToRGBA: expected 3*32*32 bytes');
    const out = new Uint8ClampedArray(4096);
    for (let i = 0; i < 1024; i++) {
        out[4 * i] = chw[i];
        out[4 * i + 1] = chw[1024 + i];
        out[4 * i + 2] = chw[2048 + i];
        out[4 * i + 3] = 255;
    }
    return out;
}
