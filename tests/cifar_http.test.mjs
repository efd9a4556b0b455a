// cifar_http.test.mjs - wasm/cifar.mjs against the answers static hosts really give to its
// Range requests, from a local server over random records (never real data): 206 with the
// range; 200 with the whole file (Python's http.server, some CDNs: the loader keeps the bytes
// it needs and cancels the rest); 416 (the file is shorter than asked); a body cut short.
// Each failure must be a readable Error naming the file, and must not resolve.
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { loadCifarFromServer, RECORD } from '../wasm/cifar.mjs';

let failures = 0;
async function check(name, fn) {
    try { await fn(); console.log(`ok   ${name}`); }
    catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack || e}`); }
}

// n records with labels 0..9 and random pixels
function records(n) {
    const b = crypto.randomBytes(n * RECORD);
    for (let i = 0; i < n; i++) b[i * RECORD] = i % 10;
    return b;
}
const FILES = { 'data_batch_1.bin': records(40), 'test_batch.bin': records(20), 'batches.meta.txt': Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n') };

// mode: 'range' (206), 'ignore' (200, whole file), '416' (every range refused),
// 'short' (206 whose body ends early: the connection closes after half the bytes).
function server(mode) {
    const seen = [];
    const s = http.createServer((req, res) => {
        const name = req.url.split('/').pop();
        const file = FILES[name];
        seen.push({ name, range: req.headers.range || null });
        if (!file) { res.writeHead(404); return res.end('not found'); }
        const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
        if (!m || mode === 'ignore' || name === 'batches.meta.txt') {
            res.writeHead(200, { 'Content-Length': file.length, 'Content-Type': 'application/octet-stream' });
            return res.end(file);
        }
        const start = Number(m[1]), end = Math.min(Number(m[2]), file.length - 1);
        if (mode === '416' || start >= file.length) {
            res.writeHead(416, { 'Content-Range': `bytes */${file.length}` });
            return res.end();
        }
        const part = file.subarray(start, end + 1);
        res.writeHead(206, { 'Content-Length': part.length, 'Content-Range': `bytes ${start}-${end}/${file.length}` });
        if (mode === 'short') { res.write(part.subarray(0, part.length >> 1), () => res.socket.end()); return; }
        res.end(part);
    });
    return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ s, seen, base: `http://127.0.0.1:${s.address().port}/d/` })));
}

const same = (got, file, n) => {
    for (let i = 0; i < n; i++) {
        assert.equal(got.labels[i], file[i * RECORD], `label ${i}`);
        assert.ok(Buffer.from(got.images.subarray(i * 3072, (i + 1) * 3072)).equals(file.subarray(i * RECORD + 1, (i + 1) * RECORD)), `image ${i}`);
    }
};

for (const mode of ['range', 'ignore']) {
    await check(`${mode === 'range' ? '206 partial answers' : 'a server that ignores Range (200, whole file)'}: the first records, bytes unchanged`, async () => {
        const { s, seen, base } = await server(mode);
        try {
            let last = 0;
            const d = await loadCifarFromServer({ baseUrl: base, trainSize: 25, testSize: 7, onProgress: (l) => { last = l; } });
            assert.equal(d.train.n, 25); assert.equal(d.test.n, 7);
            same(d.train, FILES['data_batch_1.bin'], 25);
            same(d.test, FILES['test_batch.bin'], 7);
            assert.equal(last, 32 * RECORD, 'progress counts only the bytes kept');
            assert.ok(seen.some((r) => r.range === `bytes=0-${25 * RECORD - 1}`), 'asked for a range');
        } finally { s.close(); }
    });
}

await check('416 (the file is shorter than the records asked for): a clear error', async () => {
    const { s, base } = await server('416');
    try {
        await assert.rejects(loadCifarFromServer({ baseUrl: base, trainSize: 5, testSize: 0 }),
            (e) => /data_batch_1\.bin/.test(e.message) && /fewer bytes/.test(e.message) && /416/.test(e.message) &&
                   /file has 122920/.test(e.message) && /Nothing was changed/.test(e.message));
    } finally { s.close(); }
});

await check('more records than the file holds (206 with the bytes there are): a clear error', async () => {
    const { s, base } = await server('range');
    try {
        // 40 records on the server: a request for 50 gets 206 with 40, so the body is short
        await assert.rejects(loadCifarFromServer({ baseUrl: base, trainSize: 50, testSize: 0 }),
            (e) => /data_batch_1\.bin/.test(e.message) && /got 122920 bytes, expected at least 153650/.test(e.message));
    } finally { s.close(); }
});

await check('a body cut short: a clear error, no partial result', async () => {
    const { s, base } = await server('short');
    try {
        await assert.rejects(loadCifarFromServer({ baseUrl: base, trainSize: 10, testSize: 0 }),
            (e) => /data_batch_1\.bin/.test(e.message) && /download was cut after \d+ of 30730 bytes/.test(e.message) && /Nothing was changed/.test(e.message));
    } finally { s.close(); }
});

if (failures) { console.log(`${failures} check(s) failed`); process.exit(1); }
console.log('cifar_http: all checks passed');
