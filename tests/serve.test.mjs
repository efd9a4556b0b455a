// serve.test.mjs - scripts/serve.mjs (the server of `make demo`): the COOP/COEP/CSP headers on
// every answer, / redirecting to /web/, only web/ wasm/ weights/ data/cifar10/ served,
// no way out of them (.., encoded .., encoded slashes, backslashes, NUL, symlinks),
// byte ranges, HEAD, and no methods but GET/HEAD.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, hasFullData } from '../scripts/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
// Raw request (no URL normalisation by the client).
function get(port, rawPath, { method = 'GET', headers = {} } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
    });
}

// A symlink inside web/ pointing outside must not be followed out of web/.
const link = path.join(ROOT, 'web', '.serve-test-link');
try { fs.unlinkSync(link); } catch { /* none */ }
let haveLink = false;
try { fs.symlinkSync(path.join(ROOT, 'Makefile'), link); haveLink = true; } catch { /* no symlinks here */ }

const { server, port } = await serve({ port: 0 });
try {
    const r = await get(port, '/');
    check(r.status === 302 && r.headers.location === '/web/', `/ redirects to /web/ (${r.status} ${r.headers.location})`);
    const w = await get(port, '/wasm/excite.mjs');
    check(w.status === 200 && /javascript/.test(w.headers['content-type']), 'a module is served as JavaScript');
    for (const res of [r, w, await get(port, '/nothing')]) {
        assert.ok(res);
        const h = res.headers;
        check(h['cross-origin-opener-policy'] === 'same-origin' && h['cross-origin-embedder-policy'] === 'require-corp' &&
              /default-src 'self'/.test(h['content-security-policy'] || '') &&
              /'wasm-unsafe-eval'/.test(h['content-security-policy'] || '') && !/unsafe-inline/.test(h['content-security-policy']),
              `COOP, COEP and a same-origin CSP on a ${res.status} answer`);
    }
    const wasm = fs.readdirSync(path.join(ROOT, 'wasm/dist')).find((f) => f.endsWith('.wasm'));
    if (wasm) {
        const x = await get(port, `/wasm/dist/${wasm}`);
        check(x.status === 200 && x.headers['content-type'] === 'application/wasm', '.wasm is served as application/wasm');
    }
    const bad = ['/Makefile', '/c/model.h', '/.git/config', '/package.json', '/web/../Makefile', '/web/%2e%2e/Makefile',
                 '/web/..%2fMakefile', '/web/%2e%2e%2fMakefile', '/wasm/..%5cMakefile', '/web/%00', '/data/cifar10/../../Makefile',
                 '/data/../Makefile', '/weights/../c/model.h', '//etc/passwd', '/web/../../../../etc/passwd', '/%2e%2e/Makefile',
                 '/data/cifar10/%2e%2e/%2e%2e/Makefile', '/build/', '/tests/serve.test.mjs', '/web/.serve-test-link'];
    const leaks = [];
    for (const p of bad) {
        const res = await get(port, p);
        if (res.status === 200 || /excite - build, test, demo|root:/.test(res.body.toString())) leaks.push(`${p} -> ${res.status}`);
    }
    check(leaks.length === 0, `nothing outside the four directories is served (${bad.length} tries${haveLink ? ', a symlink included' : ''}; ${leaks.join(', ')})`);
    const dir = process.env.CIFAR10_DIR || path.join(ROOT, 'data/cifar10');
    if (fs.existsSync(path.join(dir, 'test_batch.bin'))) {
        const rg = await get(port, '/data/cifar10/test_batch.bin', { headers: { Range: 'bytes=3073-6145' } });
        const want = Buffer.alloc(3073);
        const fd = fs.openSync(path.join(dir, 'test_batch.bin'), 'r');
        fs.readSync(fd, want, 0, 3073, 3073);
        fs.closeSync(fd);
        check(rg.status === 206 && rg.body.equals(want) && rg.headers['content-range'] === `bytes 3073-6145/${fs.statSync(path.join(dir, 'test_batch.bin')).size}`,
              'a byte range of a data file comes back as 206 with the right bytes');
        const bad416 = await get(port, '/data/cifar10/test_batch.bin', { headers: { Range: 'bytes=999999999-' } });
        check(bad416.status === 416, 'a range past the end is 416');
        const head = await get(port, '/data/cifar10/test_batch.bin', { method: 'HEAD' });
        check(head.status === 200 && head.body.length === 0 && Number(head.headers['content-length']) > 0, 'HEAD gives the length, no body');
    } else {
        console.log(`     (no CIFAR-10 in ${dir}: range checks skipped)`);
    }
    // the data index: the committed demo subset, and the full set first when it is served
    const ix = await get(port, '/web/data/index.json');
    const ids = ix.status === 200 ? JSON.parse(ix.body.toString()).sets.map((s) => s.id) : [];
    const full = hasFullData();
    check(ix.status === 200 && /json/.test(ix.headers['content-type']) && ids.join() === (full ? 'full,demo' : 'demo'),
          `/web/data/index.json lists ${ids.join(', ')} (the full set ${full ? 'is' : 'is not'} in the data directory)`);
    const demo = await get(port, '/web/data/cifar10-demo/test_batch.bin', { method: 'HEAD' });
    check(demo.status === 200 && Number(demo.headers['content-length']) === 1000 * 3073, 'the demo subset is served');
    const post = await get(port, '/web/', { method: 'POST' });
    check(post.status === 405, 'POST is refused (405)');
} finally {
    server.close();
    if (haveLink) fs.unlinkSync(link);
}
if (failures) {
    console.log(`serve: ${failures} check(s) failed`);
    process.exit(1);
}
console.log('serve: all checks passed');
