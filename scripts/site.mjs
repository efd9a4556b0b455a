#!/usr/bin/env node
// site.mjs - `make site`: writes build/site/, a folder any static host serves as it is
// (GitHub Pages, Netlify, Cloudflare Pages, a university web server, `python3 -m http.server`):
//   index.html               a link to web/ (and a redirect)
//   web/                     the page, its modules, Chart.js, the demo subset of CIFAR-10
//   wasm/                    the loader, the workers, the CIFAR-10 reader, the three builds
//   weights/                 the pretrained weights and their model card
//   coi-serviceworker.js     the cross-origin-isolation service worker (web/vendor/), at the
//                            root so that its scope covers web/ and wasm/; web/index.html
//                            loads it, so that threads work where no header can be set
//   _headers                 COOP/COEP/CSP for hosts that read it (Netlify, Cloudflare Pages)
//   .nojekyll                GitHub Pages serves the files as they are
// Fails if a file is over 25 MiB (Cloudflare Pages' limit).
//   node scripts/site.mjs [OUT]      (default build/site)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSP } from './serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.resolve(process.argv[2] || path.join(ROOT, 'build', 'site'));
const MAX = 25 * 1024 * 1024;

fs.rmSync(OUT, { recursive: true, force: true });
const copy = (from, to = from, filter = () => true) => {
  fs.cpSync(path.join(ROOT, from), path.join(OUT, to), {
    recursive: true, filter: (src) => !path.basename(src).startsWith('.') && filter(src),
  });
};
copy('web', 'web', (src) => !src.endsWith('README.md') || src.includes('cifar10-demo'));
// every ES module of wasm/ (the page's imports) and the builds; not the C API or Node's shim
for (const f of fs.readdirSync(path.join(ROOT, 'wasm'))) if (f.endsWith('.mjs') || f === 'dist') copy(`wasm/${f}`);
for (const f of fs.readdirSync(path.join(ROOT, 'weights'))) if (f.endsWith('.safetensors') || f === 'README.md') copy(`weights/${f}`);
fs.copyFileSync(path.join(ROOT, 'web', 'vendor', 'coi-serviceworker.js'), path.join(OUT, 'coi-serviceworker.js'));

// the page loads the service worker (after its settings), right after protocol.js
const indexPath = path.join(OUT, 'web', 'index.html');
const html = fs.readFileSync(indexPath, 'utf8');
const anchor = '<script src="js/protocol.js"></script>\n';
if (!html.includes(anchor)) throw new Error('site: web/index.html has no protocol.js script to put the service worker after');
fs.writeFileSync(indexPath, html.replace(anchor, anchor +
  '<script src="js/coi-config.js"></script>\n<script src="../coi-serviceworker.js"></script>\n'));

fs.writeFileSync(path.join(OUT, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0; url=web/">
<title>excite</title>
</head>
<body>
<p><a href="web/">excite — channel attention, live</a></p>
</body>
</html>
`);

// The same headers as scripts/serve.mjs, except CORP: cross-origin, so that a course page that
// is itself cross-origin isolated may embed the views in an iframe.
fs.writeFileSync(path.join(OUT, '_headers'), `/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: cross-origin
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
`);
fs.writeFileSync(path.join(OUT, '.nojekyll'), '');

// sizes
let total = 0, count = 0;
const big = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else { const n = fs.statSync(p).size; total += n; count++; if (n > MAX) big.push(`${path.relative(OUT, p)} (${n} bytes)`); }
  }
};
walk(OUT);
if (big.length) {
  console.error(`site: files over 25 MiB, which some hosts refuse: ${big.join(', ')}`);
  process.exit(1);
}
console.log(`site: wrote ${path.relative(process.cwd(), OUT) || OUT}: ${count} files, ${(total / 1048576).toFixed(1)} MiB, none over 25 MiB`);
