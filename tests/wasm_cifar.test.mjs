// wasm_cifar.test.mjs - the page's CIFAR-10 loader (wasm/cifar.mjs): from a server with
// Range requests (scripts/serve.mjs over the real data when $CIFAR10_DIR has it), and from a
// tar.gz built here from random records (never real data): subset sizes, record order,
// truncated archives, path-traversal names, not-gzip input, bad labels.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadCifarFromServer, loadCifarFromTarGz, RECORD } from '../wasm/cifar.mjs';
import { serve } from '../scripts/serve.mjs';

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
async function rejects(fn, re) {
    let err = null;
    try { await fn(); } catch (e) { err = e; }
    assert.ok(err, `expected an error matching ${re}`);
    assert.match(err.message, re);
    return err;
}

// ---- a minimal ustar writer -----------------------------------------------------------
function tarHeader(name, size, type = '0') {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(type, 156);
    h.write('ustar\0', 257); h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
}
function tar(members) {
    const parts = [];
    for (const [name, data, type] of members) {
        parts.push(tarHeader(name, data.length, type));
        parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    parts.push(Buffer.alloc(1024));
    return Buffer.concat(parts);
}
// n random records whose label is a function of the file and index (so order is checkable).
function records(n, fileNo) {
    const b = Buffer.alloc(n * RECORD);
    for (let i = 0; i < n; i++) {
        b[i * RECORD] = (fileNo * 7 + i) % 10;
        for (let j = 1; j < RECORD; j++) b[i * RECORD + j] = (fileNo * 31 + i * 17 + j) & 255;
    }
    return b;
}
const META = Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
function archive(nPerFile = 4, extra = []) {
    const d = 'cifar-10-batches-bin/';
    return zlib.gzipSync(tar([
        [d, Buffer.alloc(0), '5'],
        [d + 'data_batch_1.bin', records(nPerFile, 1)],
        [d + 'batches.meta.txt', META],
        [d + 'data_batch_3.bin', records(nPerFile, 3)],
        [d + 'data_batch_2.bin', records(nPerFile, 2)],
        [d + 'test_batch.bin', records(nPerFile, 6)],
        [d + 'data_batch_4.bin', records(nPerFile, 4)],
        [d + 'data_batch_5.bin', records(nPerFile, 5)],
        ...extra,
    ]));
}

await check('tar.gz: subsets come out in file order with the right bytes', async () => {
    const gz = archive(4);
    const { train, test, classes } = await loadCifarFromTarGz(new Blob([gz]), { trainSize: 3, testSize: 2 });
    assert.equal(train.n, 3);
    assert.equal(test.n, 2);
    assert.equal(classes[9], 'truck');
    const ref = records(4, 1), refT = records(4, 6);
    for (let i = 0; i < 3; i++) {
        assert.equal(train.labels[i], ref[i * RECORD]);
        assert.deepEqual(train.images.subarray(i * 3072, (i + 1) * 3072), new Uint8Array(ref.subarray(i * RECORD + 1, (i + 1) * RECORD)));
    }
    assert.equal(test.labels[1], refT[RECORD]);
});

await check('tar.gz: more images than the archive has -> clear error', async () => {
    await rejects(() => loadCifarFromTarGz(archive(4), { trainSize: 6, testSize: 1 }), /only 4 of the 6 requested/);
});

await check('tar.gz: truncated archive -> clear error', async () => {
    const gz = archive(4);
    for (const cut of [gz.length >> 1, gz.length - 30, 40]) {
        await rejects(() => loadCifarFromTarGz(gz.subarray(0, cut), { trainSize: 3, testSize: 2 }),
                      /truncated|damaged/);
    }
});

await check('tar.gz: path-traversal and absolute member names are rejected', async () => {
    for (const bad of ['../evil.bin', 'cifar-10-batches-bin/../../x', '/etc/passwd']) {
        const gz = zlib.gzipSync(tar([[bad, Buffer.from('x')], ['cifar-10-batches-bin/data_batch_1.bin', records(2, 1)]]));
        await rejects(() => loadCifarFromTarGz(gz, { trainSize: 1, testSize: 0 }), /unsafe member name/);
    }
});

await check('tar.gz: not gzip, empty, missing files, bad label, bad size', async () => {
    await rejects(() => loadCifarFromTarGz(Buffer.from('hello world, not a gzip file'), {}), /not a gzip file/);
    await rejects(() => loadCifarFromTarGz(new Uint8Array(0), {}), /empty/);
    const noTest = zlib.gzipSync(tar([['b/data_batch_1.bin', records(4, 1)]]));
    await rejects(() => loadCifarFromTarGz(noTest, { trainSize: 2, testSize: 1 }), /has no test_batch.bin/);
    const bad = records(2, 1); bad[RECORD] = 12;
    await rejects(() => loadCifarFromTarGz(zlib.gzipSync(tar([['b/data_batch_1.bin', bad]])), { trainSize: 2, testSize: 0 }),
                  /label 12/);
    const odd = zlib.gzipSync(tar([['b/data_batch_1.bin', Buffer.alloc(RECORD * 2 + 5)]]));
    await rejects(() => loadCifarFromTarGz(odd, { trainSize: 1, testSize: 0 }), /not a multiple of 3073/);
    await rejects(() => loadCifarFromTarGz(archive(2), { trainSize: -1 }), /subset size/);
});

await check('server: Range subsets of the real batches equal the file bytes', async () => {
    const dir = process.env.CIFAR10_DIR || 'data/cifar10';
    if (!fs.existsSync(path.join(dir, 'test_batch.bin'))) {
        console.log(`     (skipped: no CIFAR-10 in ${dir})`);
        return;
    }
    const { server, port } = await serve({ port: 0 });
    try {
        let last = 0;
        const { train, test, classes } = await loadCifarFromServer({
            baseUrl: `http://127.0.0.1:${port}/data/cifar10/`, trainSize: 10005, testSize: 7,
            onProgress: (l) => { last = l; } });
        assert.equal(train.n, 10005);
        assert.equal(test.n, 7);
        assert.equal(last, (10005 + 7) * RECORD);
        assert.equal(classes[0], 'airplane');
        const fd = fs.openSync(path.join(dir, 'data_batch_2.bin'), 'r');
        const rec = Buffer.alloc(RECORD * 5);
        fs.readSync(fd, rec, 0, rec.length, 0);
        fs.closeSync(fd);
        for (let i = 0; i < 5; i++) {
            assert.equal(train.labels[10000 + i], rec[i * RECORD]);
            assert.ok(Buffer.from(train.images.subarray((10000 + i) * 3072, (10001 + i) * 3072))
                .equals(rec.subarray(i * RECORD + 1, (i + 1) * RECORD)));
        }
        await rejects(() => loadCifarFromServer({ baseUrl: `http://127.0.0.1:${port}/data/nothing/`, trainSize: 1, testSize: 0 }),
                      /not found/);
    } finally {
        server.close();
    }
});

if (failures) {
    console.log(`${failures} check(s) failed`);
    process.exit(1);
}
console.log('wasm_cifar: all checks passed');
