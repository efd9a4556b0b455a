// cifar.mjs - CIFAR-10 for the page: the official binary batches fetched from the server
// (/data/cifar10/, only the bytes of the requested subset, by HTTP Range requests), or read
// from the official cifar-10-binary.tar.gz the user picks (gunzip with the browser's
// DecompressionStream, untar here). A record is 3073 bytes: label, then 3072 bytes of
// (3,32,32) pixels. Results: { n, images: Uint8Array(n*3072), labels: Uint8Array(n) }.
// Runs in pages, workers and Node.js 18+; pure JavaScript, no WebAssembly.

import { CLASSES } from './excite.mjs';   // the class names, in label order (one list)

export const RECORD = 3073;
export const PER_BATCH = 10000;
export const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin',
                            'data_batch_4.bin', 'data_batch_5.bin'];
export const TEST_FILE = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';

function checkSizes(trainSize, testSize) {
    if (!Number.isInteger(trainSize) || trainSize < 0 || trainSize > 5 * PER_BATCH) {
        throw new Error(`training subset size must be an integer in 0..${5 * PER_BATCH}, got ${trainSize}`);
    }
    if (!Number.isInteger(testSize) || testSize < 0 || testSize > PER_BATCH) {
        throw new Error(`test subset size must be an integer in 0..${PER_BATCH}, got ${testSize}`);
    }
}

// Split n records of buf (starting at record 0) into images/labels at record offset `at`.
function splitRecords(buf, n, images, labels, at, what) {
    for (let i = 0; i < n; i++) {
        const off = i * RECORD;
        const label = buf[off];
        if (label > 9) throw new Error(`${what}: record ${i} has label ${label}, not 0..9 (not a CIFAR-10 batch?)`);
        labels[at + i] = label;
        images.set(buf.subarray(off + 1, off + RECORD), (at + i) * 3072);
    }
}

function parseClassNames(text) {
    const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    return names.length === 10 ? names : CLASSES.slice();
}

// Assemble the first `want` records of several batch buffers (in order).
function assemble(buffers, names, want) {
    const images = new Uint8Array(want * 3072), labels = new Uint8Array(want);
    let n = 0;
    for (let f = 0; f < buffers.length && n < want; f++) {
        const buf = buffers[f];
        if (!buf) break;
        if (buf.fullLength % RECORD !== 0) {
            throw new Error(`${names[f]}: size ${buf.fullLength} bytes is not a multiple of ${RECORD} ` +
                            '(not a CIFAR-10 binary batch, or truncated)');
        }
        const k = Math.min(want - n, Math.floor(buf.length / RECORD));
        splitRecords(buf, k, images, labels, n, names[f]);
        n += k;
    }
    if (n < want) throw new Error(`only ${n} of the ${want} requested images are available`);
    return { n, images, labels };
}

// ---- from the server --------------------------------------------------------------------
// Read a response body, calling onChunk(bytes) for progress; at most `limit` bytes are kept.
// A body longer than that (a server that ignored Range and sends the whole file) is cancelled
// once the bytes are in; one that ends there (206) is read to its end, so the request
// completes instead of being aborted.
async function readBody(res, limit, onChunk, url) {
    const out = new Uint8Array(limit);
    let got = 0;
    const reader = res.body.getReader();
    const length = Number(res.headers.get('Content-Length'));
    const endsThere = res.status === 206 || length === limit;
    for (;;) {
        let done, value;
        try { ({ done, value } = await reader.read()); }
        catch (e) {
            if (e.name === 'AbortError') throw e;
            throw new Error(`${url}: the download was cut after ${got} of ${limit} bytes (${e.message}). Nothing was changed.`);
        }
        if (done) break;
        const take = Math.min(value.length, limit - got);
        out.set(value.subarray(0, take), got);
        got += take;
        if (take) onChunk(take);
        if (got >= limit && !endsThere) {
            await reader.cancel();
            break;
        }
    }
    return got === limit ? out : out.subarray(0, got);
}

async function fetchRecords(url, count, onChunk, signal) {
    const bytes = count * RECORD;
    let res;
    try {
        res = await fetch(url, { headers: { Range: `bytes=0-${bytes - 1}` }, signal });
    } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new Error(`cannot download ${url}: ${e.message}`);
    }
    if (res.status === 404) {
        throw new Error(`${url} not found: the server has no CIFAR-10 data (run \`make data\`, ` +
                        'or pick cifar-10-binary.tar.gz from disk)');
    }
    if (res.status === 416) {
        const cr = /\/(\d+)$/.exec(res.headers.get('Content-Range') || '');
        throw new Error(`${url}: the server has fewer bytes than the ${count} records asked for ` +
                        `(${bytes} bytes; HTTP 416${cr ? `, the file has ${cr[1]}` : ''}): ` +
                        'the file is truncated, or not a CIFAR-10 batch. Nothing was changed.');
    }
    if (res.status !== 200 && res.status !== 206) throw new Error(`${url}: HTTP ${res.status}`);
    let full = bytes;
    const cr = res.headers.get('Content-Range');
    if (res.status === 206 && cr && /\/(\d+)$/.test(cr)) full = Number(/\/(\d+)$/.exec(cr)[1]);
    else if (res.status === 200 && res.headers.get('Content-Length')) full = Number(res.headers.get('Content-Length'));
    const buf = await readBody(res, bytes, onChunk, url);
    if (buf.length < bytes) {
        throw new Error(`${url}: got ${buf.length} bytes, expected at least ${bytes} for ${count} records ` +
                        '(the file is truncated, or the download was cut). Nothing was changed.');
    }
    buf.fullLength = full;
    return buf;
}

// Options: baseUrl ('/data/cifar10/'), trainSize (5000), testSize (1000), onProgress(loaded,
// total) in bytes, signal (AbortSignal). Returns { train, test, classes }.
export async function loadCifarFromServer({ baseUrl = '/data/cifar10/', trainSize = 5000,
                                            testSize = 1000, onProgress, signal } = {}) {
    checkSizes(trainSize, testSize);
    const base = new URL(baseUrl, globalThis.location ? globalThis.location.href : undefined);
    if (!base.href.endsWith('/')) base.href += '/';
    const total = (trainSize + testSize) * RECORD;
    let loaded = 0;
    const onChunk = (n) => { loaded += n; if (onProgress) onProgress(loaded, total); };

    const trainBufs = [];
    for (let f = 0, left = trainSize; left > 0; f++) {
        const k = Math.min(left, PER_BATCH);
        trainBufs.push(await fetchRecords(new URL(TRAIN_FILES[f], base).href, k, onChunk, signal));
        left -= k;
    }
    const testBufs = testSize > 0 ? [await fetchRecords(new URL(TEST_FILE, base).href, testSize, onChunk, signal)] : [];

    let classes = CLASSES.slice();
    try {
        const r = await fetch(new URL(META_FILE, base).href, { signal });
        if (r.ok) classes = parseClassNames(await r.text());
    } catch (e) {
        if (e.name === 'AbortError') throw e;
    }
    return {
        train: assemble(trainBufs, TRAIN_FILES, trainSize),
        test: assemble(testBufs, [TEST_FILE], testSize),
        classes,
    };
}

// ---- from cifar-10-binary.tar.gz ----------------------------------------------------------
// A pull reader over a byte stream with exact-length reads.
class ByteReader {
    constructor(stream) {
        this.reader = stream.getReader();
        this.chunks = [];
        this.avail = 0;
        this.eof = false;
        this.pos = 0;
    }
    async fill(n) {
        while (this.avail < n && !this.eof) {
            let done, value;
            try {
                ({ done, value } = await this.reader.read());
            } catch (e) {
                this.streamError = e;
                throw e;
            }
            if (done) this.eof = true;
            else if (value.length) {
                this.chunks.push(value);
                this.avail += value.length;
            }
        }
        return this.avail >= n;
    }
    // Copy n bytes into dst (or drop them when dst is null); returns the bytes copied.
    async read(n, dst) {
        let done = 0;
        while (done < n) {
            if (!this.chunks.length && !(await this.fill(1))) break;
            const c = this.chunks[0];
            const k = Math.min(c.length, n - done);
            if (dst) dst.set(c.subarray(0, k), done);
            if (k === c.length) this.chunks.shift();
            else this.chunks[0] = c.subarray(k);
            this.avail -= k;
            done += k;
        }
        this.pos += done;
        return done;
    }
    async cancel() { try { await this.reader.cancel(); } catch { /* already closed */ } }
}

function tarString(b, off, len) {
    let end = off;
    while (end < off + len && b[end] !== 0) end++;
    return new TextDecoder().decode(b.subarray(off, end));
}
function tarOctal(b, off, len) {
    if (b[off] & 0x80) return -1;   // base-256 sizes (over 8 GiB): never in CIFAR-10
    const s = tarString(b, off, len).trim();
    return /^[0-7]+$/.test(s) ? parseInt(s, 8) : (s === '' ? 0 : -1);
}
function tarChecksumOk(h) {
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    return tarOctal(h, 148, 8) === sum;
}

// Reject absolute paths, '..' segments, backslashes and drive letters in member names.
export function unsafeTarName(name) {
    return name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name) ||
        name.split('/').includes('..') || name.includes('\0');
}

// Options: trainSize (5000), testSize (1000), onProgress(compressedBytesRead, totalBytes).
// file: File/Blob, ArrayBuffer or Uint8Array of cifar-10-binary.tar.gz.
export async function loadCifarFromTarGz(file, { trainSize = 5000, testSize = 1000, onProgress } = {}) {
    checkSizes(trainSize, testSize);
    if (typeof DecompressionStream !== 'function') {
        throw new Error('this browser cannot decompress .gz files (no DecompressionStream)');
    }
    const blob = file instanceof Blob ? file : new Blob([file]);
    if (blob.size === 0) throw new Error('the archive is empty (0 bytes)');
    const magic = new Uint8Array(await blob.slice(0, 2).arrayBuffer());
    if (blob.size < 18 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
        throw new Error('not a gzip file: expected the official cifar-10-binary.tar.gz');
    }
    let read = 0;
    const counted = blob.stream().pipeThrough(new TransformStream({
        transform(chunk, ctl) {
            read += chunk.length;
            if (onProgress) onProgress(read, blob.size);
            ctl.enqueue(chunk);
        },
    }));
    const r = new ByteReader(counted.pipeThrough(new DecompressionStream('gzip')));

    const wantTrain = TRAIN_FILES.map((_, f) => Math.max(0, Math.min(PER_BATCH, trainSize - f * PER_BATCH)));
    const trainBufs = TRAIN_FILES.map(() => null);
    let testBuf = null, classes = null;

    const header = new Uint8Array(512);
    let longName = null, paxName = null;
    try {
        // The whole archive is read (the data kept is only the subset), so that a truncated or
        // damaged download is always noticed: the gzip trailer's CRC and length are checked.
        for (;;) {
            const got = await r.read(512, header);
            if (got === 0 && r.eof) throw new Error('the archive ends without the tar end marker (truncated?)');
            if (got < 512) throw new Error(`the archive is truncated (inside a tar header at byte ${r.pos})`);
            if (header.every((b) => b === 0)) {   // end of archive: drain to the gzip trailer
                while (await r.read(1 << 16, null) > 0) { /* padding blocks */ }
                break;
            }
            if (!tarChecksumOk(header)) {
                throw new Error(`bad tar header at byte ${r.pos - 512} (not a tar archive, or corrupt)`);
            }
            const size = tarOctal(header, 124, 12);
            if (size < 0) throw new Error(`bad tar member size at byte ${r.pos - 512}`);
            const type = String.fromCharCode(header[156] || 48);
            const padded = Math.ceil(size / 512) * 512;
            let name = tarString(header, 0, 100);
            if (tarString(header, 257, 5) === 'ustar') {
                const prefix = tarString(header, 345, 155);
                if (prefix) name = `${prefix}/${name}`;
            }
            if (longName !== null) { name = longName; longName = null; }
            if (paxName !== null) { name = paxName; paxName = null; }

            if (type === 'L' || type === 'x') {   // GNU long name / pax extended header
                if (size > 1 << 20) throw new Error('tar extended header too large');
                const buf = new Uint8Array(padded);
                if ((await r.read(padded, buf)) < padded) throw new Error('the archive is truncated (in an extended header)');
                const text = new TextDecoder().decode(buf.subarray(0, size));
                if (type === 'L') longName = text.replace(/\0.*$/s, '');
                else {
                    const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
                    if (m) paxName = m[1];
                }
                continue;
            }
            if (unsafeTarName(name)) {
                throw new Error(`unsafe member name in the archive: '${name}' (absolute path or '..'); ` +
                                'not the official CIFAR-10 archive');
            }
            const base = name.split('/').pop();
            const f = TRAIN_FILES.indexOf(base);
            let dst = null, keep = 0;
            if (type === '0' || type === '\0' || type === '7') {
                if (f >= 0 && wantTrain[f] > 0) keep = Math.min(size, wantTrain[f] * RECORD);
                else if (base === TEST_FILE && testSize > 0) keep = Math.min(size, testSize * RECORD);
                else if (base === META_FILE) keep = Math.min(size, 4096);
                if (keep > 0) dst = new Uint8Array(keep);
            }
            if (dst && (await r.read(keep, dst)) < keep || (await r.read(padded - keep, null)) < padded - keep) {
                throw new Error(`the archive is truncated (member ${name} should have ${size} bytes)`);
            }
            if (!dst) continue;
            dst.fullLength = size;
            if (f >= 0) trainBufs[f] = dst;
            else if (base === TEST_FILE) testBuf = dst;
            else classes = parseClassNames(new TextDecoder().decode(dst));
        }
    } catch (e) {
        await r.cancel();
        // Errors from the stream itself (DecompressionStream on a cut or damaged gzip stream:
        // a TypeError in browsers, a zlib error in Node.js) get a readable message.
        if (r.streamError === e) throw new Error(`the archive is damaged or truncated (gzip: ${e.message})`);
        throw e;
    }
    await r.cancel();
    const missing = TRAIN_FILES.filter((n, f) => wantTrain[f] > 0 && !trainBufs[f]);
    if (testSize > 0 && !testBuf) missing.push(TEST_FILE);
    if (missing.length) {
        throw new Error(`the archive has no ${missing.join(', ')} (expected cifar-10-batches-bin/ of the ` +
                        'official cifar-10-binary.tar.gz)');
    }
    return {
        train: assemble(trainBufs.filter((b, f) => wantTrain[f] > 0), TRAIN_FILES, trainSize),
        test: assemble(testSize > 0 ? [testBuf] : [], [TEST_FILE], testSize),
        classes: classes || CLASSES.slice(),
    };
}
