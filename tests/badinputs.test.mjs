// badinputs.test.mjs - hostile dataset archives through the page's tar.gz reader
// (wasm/cifar.mjs, loadCifarFromTarGz), issue 7 check 5: member names that try to leave the
// archive by every route tar offers (plain, ustar prefix, GNU long name, pax path, backslash,
// drive letter, NUL), then a seeded mutation run over small synthetic archives (random
// records, never real data): every result is either a well-formed dataset or an Error with
// a message; never an internal TypeError/RangeError, a hang or a crash.
// The C side of check 5 (weights files) is tests/test_badinputs.c.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { loadCifarFromTarGz, unsafeTarName, RECORD } from '../wasm/cifar.mjs';

let failures = 0;
async function check(name, fn) {
    try {
        await fn();
        console.log(`ok   ${name}`);
    } catch (e) {
        failures++;
        console.log(`FAIL ${name}: ${e.stack || e}`);
    }
}

// ---- a small tar writer: ustar headers, optional prefix field, GNU 'L' and pax 'x' ------
function header(name, size, type = '0', prefix = '') {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'latin1');
    h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(type, 156);
    h.write('ustar\0', 257); h.write('00', 263);
    if (prefix) h.write(prefix, 345, 155, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
}
const pad = (n) => Buffer.alloc((512 - (n % 512)) % 512);
// members: { name, data, type, prefix }
function tar(members) {
    const parts = [];
    for (const m of members) {
        parts.push(header(m.name, m.data.length, m.type || '0', m.prefix || ''), m.data, pad(m.data.length));
    }
    parts.push(Buffer.alloc(1024));
    return Buffer.concat(parts);
}
function paxRecord(key, value) {
    const body = ` ${key}=${value}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    return Buffer.from(`${len}${body}`);
}
// Random records (label in 0..9), seeded.
function rng(seed) {
    let s = seed >>> 0;
    return () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
function records(n, rand) {
    const b = Buffer.alloc(n * RECORD);
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
    for (let i = 0; i < n; i++) b[i * RECORD] = Math.floor(rand() * 10);
    return b;
}
const DIR = 'cifar-10-batches-bin/';

async function outcome(promise) {
    try { return { ok: await promise }; } catch (e) { return { err: e }; }
}

// ---- path traversal -------------------------------------------------------------------
await check('member names that leave the archive are refused, by every route', async () => {
    const rand = rng(1);
    const batch = records(2, rand), test = records(1, rand);
    const evil = [
        { what: 'plain ..', m: { name: '../data_batch_1.bin', data: batch } },
        { what: 'inner ..', m: { name: `${DIR}../../data_batch_1.bin`, data: batch } },
        { what: './..', m: { name: `${DIR}./../data_batch_1.bin`, data: batch } },
        { what: 'absolute', m: { name: '/tmp/data_batch_1.bin', data: batch } },
        { what: 'ustar prefix ..', m: { name: 'data_batch_1.bin', prefix: '../..', data: batch } },
        { what: 'backslash', m: { name: 'cifar-10-batches-bin\\..\\data_batch_1.bin', data: batch } },
        { what: 'drive letter', m: { name: 'C:/data_batch_1.bin', data: batch } },
    ];
    const longName = Buffer.from('../../../etc/data_batch_1.bin\0');
    evil.push({ what: 'GNU long name ..', pre: [{ name: '././@LongLink', type: 'L', data: longName }],
                m: { name: `${DIR}data_batch_1.bin`, data: batch } });
    evil.push({ what: 'pax path ..', pre: [{ name: 'PaxHeader', type: 'x', data: paxRecord('path', '../data_batch_1.bin') }],
                m: { name: `${DIR}data_batch_1.bin`, data: batch } });
    evil.push({ what: 'pax path absolute', pre: [{ name: 'PaxHeader', type: 'x', data: paxRecord('path', '/data_batch_1.bin') }],
                m: { name: `${DIR}data_batch_1.bin`, data: batch } });
    for (const e of evil) {
        const gz = zlib.gzipSync(tar([...(e.pre || []), e.m, { name: `${DIR}test_batch.bin`, data: test }]));
        const r = await outcome(loadCifarFromTarGz(gz, { trainSize: 2, testSize: 1 }));
        assert.ok(r.err, `${e.what}: the archive was accepted`);
        assert.ok(!(r.err instanceof TypeError) && !(r.err instanceof RangeError), `${e.what}: internal error ${r.err}`);
        assert.match(r.err.message, /unsafe member name/, `${e.what}: ${r.err.message}`);
        console.log(`     ${e.what.padEnd(18)} -> ${r.err.message}`);
    }
    // the helper itself, on names a hand-written check tends to miss
    for (const n of ['..', 'a/..', 'a/../b', '/a', 'a\\b', 'c:x', 'a\0b']) assert.ok(unsafeTarName(n), n);
    for (const n of ['a..b', '..a/b', 'cifar-10-batches-bin/data_batch_1.bin', 'a/b..']) assert.ok(!unsafeTarName(n), n);
});

await check('a safe archive with the same members loads (the refusals above are about the names)', async () => {
    const rand = rng(1);
    const batch = records(2, rand), test = records(1, rand);
    const gz = zlib.gzipSync(tar([{ name: `${DIR}data_batch_1.bin`, data: batch }, { name: `${DIR}test_batch.bin`, data: test }]));
    const d = await loadCifarFromTarGz(gz, { trainSize: 2, testSize: 1 });
    assert.equal(d.train.n, 2);
    assert.equal(d.test.n, 1);
    assert.equal(d.train.labels[1], batch[RECORD]);
});

// ---- seeded mutations -----------------------------------------------------------------
// Mutate either the gzip bytes or the tar bytes (then gzip them, so the tar reader sees the
// damage); 1-8 edits each: flip, set to a boundary byte, insert, delete, truncate.
function mutate(buf, rand) {
    let b = Buffer.from(buf);
    const edits = 1 + Math.floor(rand() * 8);
    for (let k = 0; k < edits && b.length > 0; k++) {
        const at = Math.floor(rand() * b.length);
        const op = Math.floor(rand() * 5);
        if (op === 0) b[at] ^= 1 << Math.floor(rand() * 8);
        else if (op === 1) b[at] = [0, 0x20, 0x2e, 0x2f, 0x30, 0x37, 0x38, 0x7f, 0x80, 0xff][Math.floor(rand() * 10)];
        else if (op === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), b.subarray(at)]);
        else if (op === 3) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else b = b.subarray(0, at);
    }
    return b;
}
function validDataset(d, trainSize, testSize) {
    for (const [part, n] of [[d.train, trainSize], [d.test, testSize]]) {
        assert.equal(part.n, n);
        assert.equal(part.images.length, n * 3072);
        assert.equal(part.labels.length, n);
        for (const l of part.labels) assert.ok(l <= 9);
    }
    assert.equal(d.classes.length, 10);
}

await check('2000 mutated archives: a dataset or an Error with a message, never an internal error or a hang', async () => {
    const rand = rng(7);
    const names = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n';
    const plain = tar([
        { name: DIR, data: Buffer.alloc(0), type: '5' },
        { name: `${DIR}batches.meta.txt`, data: Buffer.from(names) },
        { name: `${DIR}data_batch_1.bin`, data: records(3, rand) },
        { name: `${DIR}data_batch_2.bin`, data: records(2, rand) },
        { name: `${DIR}test_batch.bin`, data: records(2, rand) },
    ]);
    const gz = zlib.gzipSync(plain);
    const counts = { dataset: 0, error: 0 };
    const messages = new Map();
    for (let i = 0; i < 2000; i++) {
        const bytes = i % 2 ? zlib.gzipSync(mutate(plain, rand)) : mutate(gz, rand);
        const trainSize = 1 + Math.floor(rand() * 5), testSize = Math.floor(rand() * 3);
        let timer;
        const hang = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('HANG')), 120000); });   // a safety net: a hang, not a slow machine
        const r = await outcome(Promise.race([loadCifarFromTarGz(bytes, { trainSize, testSize }), hang]));
        clearTimeout(timer);
        if (r.ok) {
            validDataset(r.ok, trainSize, testSize);
            counts.dataset++;
            continue;
        }
        const e = r.err;
        assert.ok(e instanceof Error, `input ${i}: threw a non-Error ${e}`);
        assert.notEqual(e.message, 'HANG', `input ${i}: no answer within 120 s`);
        assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError), `input ${i}: internal error ${e.stack}`);
        assert.ok(e.message.length > 10, `input ${i}: message too short: '${e.message}'`);
        counts.error++;
        const kind = e.message.replace(/\d+/g, 'N').slice(0, 60);
        messages.set(kind, (messages.get(kind) || 0) + 1);
    }
    console.log(`     ${counts.dataset} loaded, ${counts.error} refused; messages:`);
    for (const [m, n] of [...messages].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`       ${String(n).padStart(4)}  ${m}`);
    assert.ok(counts.error > 0 && counts.dataset > 0, 'the mutations should both break and spare archives');
});

if (failures) {
    console.log(`badinputs: ${failures} failed`);
    process.exit(1);
}
console.log('badinputs: all passed');
