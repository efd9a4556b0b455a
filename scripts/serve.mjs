#!/usr/bin/env node
// serve.mjs - the static server of `make demo`: serves the repository's web/, wasm/, weights/
// and data/cifar10/ (nothing else) on localhost, with the headers the threaded WebAssembly
// build needs (COOP/COEP make the page cross-origin isolated, so SharedArrayBuffer works)
// and a Content-Security-Policy that allows only same-origin resources.
//   node scripts/serve.mjs      env PORT (default 8000), HOST (default 127.0.0.1), CIFAR10_DIR
// Supports GET/HEAD and single byte ranges (the CIFAR-10 loader downloads subsets).
// /web/data/index.json (the CIFAR-10 sets the page may use) is the committed file, with the
// full set added first when the data directory holds the six official batches: the page
// learns what is there without requesting a file that may be missing.
// Not a production server: no TLS, no compression, no caching beyond "no-cache".
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// URL prefix -> directory. The data directory is $CIFAR10_DIR when set (relative to the
// current directory), else data/cifar10 in the repository (which may be a symlink).
const MOUNTS = [
    ['web/', path.join(ROOT, 'web')],
    ['wasm/', path.join(ROOT, 'wasm')],
    ['weights/', path.join(ROOT, 'weights')],
    ['data/cifar10/', process.env.CIFAR10_DIR ? path.resolve(process.env.CIFAR10_DIR)
                                              : path.join(ROOT, 'data', 'cifar10')],
];

const TYPES = {
    '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
    '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
    '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
    '.webp': 'image/webp', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
    '.md': 'text/markdown; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
    '.woff2': 'font/woff2', '.map': 'application/json',
};

export const CSP = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
].join('; ');

const SECURITY_HEADERS = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
};

// Map a URL path to a file under one of the mounts, or null. Rejects encoded slashes,
// NUL, '..' segments and anything that resolves outside the mount (symlinks included).
function resolvePath(urlPath) {
    let p;
    try { p = decodeURIComponent(urlPath); } catch { return null; }
    if (p.includes('\0') || p.includes('\\')) return null;
    if (!p.startsWith('/')) return null;
    const segs = p.slice(1).split('/');
    if (segs.some(s => s === '..' || s === '.')) return null;
    const rel = segs.join('/');
    const mount = MOUNTS.find(([prefix]) => rel.startsWith(prefix));
    if (!mount) return null;
    const base = mount[1];
    let file = path.join(base, rel.slice(mount[0].length));
    if (rel.endsWith('/')) file = path.join(file, 'index.html');
    let realBase, real;
    try { realBase = fs.realpathSync(base); real = fs.realpathSync(file); } catch { return null; }
    // Files must stay inside the mount after resolving links; the mount itself may be a link.
    const inside = (f) => f === realBase || f.startsWith(realBase + path.sep);
    if (!inside(real)) return null;
    return real;
}

function send(res, status, body, extra = {}) {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8',
                            'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(body);
}

const DATA_DIR = MOUNTS.find(([prefix]) => prefix === 'data/cifar10/')[1];
const FULL_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin',
                    'data_batch_5.bin', 'test_batch.bin'];
export function hasFullData(dir = DATA_DIR) {
    return FULL_FILES.every((f) => fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size === 30730000);
}
function dataIndex() {
    const index = JSON.parse(fs.readFileSync(path.join(ROOT, 'web', 'data', 'index.json'), 'utf8'));
    if (hasFullData()) index.sets.unshift({ id: 'full', base: '../../data/cifar10/', train: 50000, test: 10000 });
    return JSON.stringify(index, null, 2) + '\n';
}

export function handler(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    let url;
    try { url = new URL(req.url, 'http://localhost'); } catch { return send(res, 400, 'bad request\n'); }
    if (url.pathname === '/' || url.pathname === '/web') {
        res.writeHead(302, { ...SECURITY_HEADERS, Location: '/web/' + url.search });
        return res.end();
    }
    if (url.pathname === '/web/data/index.json') {
        const body = dataIndex();
        return send(res, 200, req.method === 'HEAD' ? '' : body,
                    { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache',
                      'Content-Length': Buffer.byteLength(body) });
    }
    const file = resolvePath(url.pathname);
    let st;
    if (!file || !(st = fs.statSync(file, { throwIfNoEntry: false })) || !st.isFile()) {
        return send(res, 404, 'not found\n');
    }
    const headers = {
        ...SECURITY_HEADERS,
        'Content-Type': TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'Cache-Control': 'no-cache',
        'Accept-Ranges': 'bytes',
        'Last-Modified': st.mtime.toUTCString(),
    };
    let start = 0, end = st.size - 1, status = 200;
    const range = req.headers.range;
    if (range) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (m && (m[1] !== '' || m[2] !== '')) {
            if (m[1] === '') { start = Math.max(0, st.size - Number(m[2])); }
            else { start = Number(m[1]); if (m[2] !== '') end = Math.min(end, Number(m[2])); }
            if (start > end || start >= st.size) {
                return send(res, 416, 'range not satisfiable\n', { 'Content-Range': `bytes */${st.size}` });
            }
            status = 206;
            headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
        }
    }
    headers['Content-Length'] = st.size === 0 ? 0 : end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || st.size === 0) return res.end();
    const stream = fs.createReadStream(file, { start, end });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
}

// Start a server; resolves with { server, port, url }. port 0 picks a free port.
export function serve({ port = 8000, host = '127.0.0.1' } = {}) {
    return new Promise((resolve, reject) => {
        const server = http.createServer(handler);
        server.on('error', reject);
        server.listen(port, host, () => {
            const p = server.address().port;
            resolve({ server, port: p, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${p}/web/` });
        });
    });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const port = process.env.PORT !== undefined ? Number(process.env.PORT) : 8000;
    const host = process.env.HOST || '127.0.0.1';
    serve({ port, host }).then(({ url }) => {
        console.log(`excite demo: ${url}   (Ctrl-C stops)`);
    }, (e) => {
        console.error(`serve: cannot listen on ${host}:${port}: ${e.message}` +
                      (e.code === 'EADDRINUSE' ? ' (set PORT=... to use another port)' : ''));
        process.exit(1);
    });
}
