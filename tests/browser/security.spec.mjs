// security.spec.mjs - issue 7's security checks on the page (web/), in headless Chromium
// through scripts/serve.mjs (as `make demo` serves it):
//   1. the Content-Security-Policy (HTTP header on every response, and the page's <meta>)
//      allows only same-origin resources: no host, no wildcard, no 'unsafe-inline', no
//      'unsafe-eval' ('wasm-unsafe-eval' only compiles WebAssembly);
//   2. no inline script, inline event handler or javascript: URL in the HTML, and no eval,
//      new Function or string timer in any script the page can load (web/, wasm/);
//   3. uploaded images never leave the browser: after a picture is chosen (file input,
//      drag and drop, paste) no request of any kind is made;
//   4. file names (images, weights, dataset archives) are shown as text, never parsed as
//      HTML, whether the file is good or bad;
//   5. nothing above, nor training a few batches, triggers a CSP violation.
// Images are drawn here (PNG) or by the page's canvas (JPEG); no dataset bytes are uploaded.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, startServer, launch, watch, check, failed, waitFor } from './helpers.mjs';

const DATA = path.resolve(ROOT, process.env.CIFAR10_DIR || 'data/cifar10');
const haveData = fs.existsSync(path.join(DATA, 'test_batch.bin'));
process.env.CIFAR10_DIR = DATA;   // for scripts/serve.mjs
const srv = await startServer();
const browser = await launch();
const { context } = browser;
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

// ---- helpers ----------------------------------------------------------------------------
const SAFE_SOURCES = new Set(["'self'", "'none'", "'wasm-unsafe-eval'", 'data:', 'blob:', 'mediastream:']);
function cspProblems(csp) {
  const problems = [];
  const dirs = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...src] = d.split(/\s+/);
    return [name.toLowerCase(), src];
  }));
  if (!dirs['default-src'] || dirs['default-src'].join(' ') !== "'self'") problems.push(`default-src is not 'self' (${dirs['default-src']})`);
  if (!dirs['object-src'] || dirs['object-src'].join(' ') !== "'none'") problems.push("object-src is not 'none'");
  for (const [name, src] of Object.entries(dirs)) {
    if (['sandbox', 'upgrade-insecure-requests', 'report-uri', 'report-to'].includes(name)) continue;
    for (const s of src) if (!SAFE_SOURCES.has(s.toLowerCase())) problems.push(`${name} allows ${s}`);
    if (['script-src', 'default-src'].includes(name) && src.some((s) => /^(data|blob):$/i.test(s))) {
      problems.push(`${name} allows scripts from ${src.join(' ')}`);
    }
  }
  return problems;
}

// A w x h RGB PNG of a simple picture (a gradient and a box), written here.
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, body) => {
    const t = Buffer.from(type, 'latin1');
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0); t.copy(out, 4); body.copy(out, 8);
    out.writeUInt32BE(crc(Buffer.concat([t, body])), 8 + body.length);
    return out;
  };
  const rows = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (1 + 3 * w) + 1 + 3 * x;
      const box = x > w / 4 && x < (3 * w) / 4 && y > h / 3 && y < (2 * h) / 3;
      rows[o] = box ? 200 : (x * 255) / w; rows[o + 1] = box ? 40 : (y * 255) / h; rows[o + 2] = box ? 40 : 180;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="1"]', { timeout: 300000 });
}
const rendered = (page) => page.evaluate(() => window.excite.image &&
  document.querySelector('#panel-inspect > div').dataset.rendered === String(window.excite.image.version));
const imageVersion = (page) => page.evaluate(() => window.excite.image ? window.excite.image.version : null);
// Elements or globals an injected name would create.
const injected = (page) => page.evaluate(() => ({
  pwned: window.__pwned || null,
  elements: document.querySelectorAll('[onerror], [onload], [onclick], img[src="x"], svg[onload], iframe, script:not([src])').length,
}));

try {
  // ---- 1. CSP
  console.log('1. Content-Security-Policy');
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const log = watch(page, srv.origin);
  const workerLogs = [];
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') workerLogs.push(m.text()); }));
  const resp = await page.goto(`${srv.origin}/web/`);
  await ready(page);
  const headerCsp = resp.headers()['content-security-policy'] || '';
  check(headerCsp && cspProblems(headerCsp).length === 0, `the page's CSP header allows only same-origin resources: "${headerCsp}" ${JSON.stringify(cspProblems(headerCsp))}`);
  const metaCsp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content).catch(() => '');
  check(metaCsp && cspProblems(metaCsp).length === 0, `the page's <meta> CSP allows only same-origin resources ${JSON.stringify(cspProblems(metaCsp))}`);
  // every kind of file the page loads carries the header (workers take their CSP from it)
  const urls = [...new Set(log.requests.filter((u) => u.startsWith(srv.origin)))];
  const missing = [];
  for (const u of urls) {
    const r = await fetch(u, { method: 'HEAD' }).catch(() => null);
    if (!r || cspProblems(r.headers.get('content-security-policy') || 'none').length) missing.push(u.slice(srv.origin.length));
  }
  check(urls.length > 5 && missing.length === 0, `all ${urls.length} files loaded at start are served with the same-origin CSP ${JSON.stringify(missing.slice(0, 5))}`);

  // ---- 2. no inline script, no eval
  console.log('2. no inline scripts, no eval');
  const htmlProblems = [];
  const jsProblems = [];
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
  const files = [...walk(path.join(ROOT, 'web')), ...walk(path.join(ROOT, 'wasm'))];
  for (const f of files.filter((f) => f.endsWith('.html'))) {
    const s = fs.readFileSync(f, 'utf8');
    for (const m of s.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      if (!/\bsrc\s*=/.test(m[1]) || m[2].trim()) htmlProblems.push(`${path.relative(ROOT, f)}: inline <script>`);
    }
    for (const m of s.matchAll(/<[^>]*\son[a-z]+\s*=/gi)) htmlProblems.push(`${path.relative(ROOT, f)}: inline handler ${m[0].slice(0, 40)}`);
    if (/javascript:/i.test(s)) htmlProblems.push(`${path.relative(ROOT, f)}: javascript: URL`);
  }
  const scripts = files.filter((f) => /\.(m?js)$/.test(f));
  for (const f of scripts) {
    const s = fs.readFileSync(f, 'utf8');
    const bad = [/(^|[^\w.$])eval\s*\(/, /new\s+Function\s*\(/, /\bset(Timeout|Interval)\s*\(\s*['"`]/, /\.innerHTML\s*=(?!=)/, /insertAdjacentHTML|document\.write\s*\(/];
    for (const re of bad) { const m = re.exec(s); if (m) jsProblems.push(`${path.relative(ROOT, f)}: ${m[0].trim()}`); }
  }
  check(htmlProblems.length === 0, `no inline script, inline handler or javascript: URL in ${files.filter((f) => f.endsWith('.html')).length} HTML files ${JSON.stringify(htmlProblems)}`);
  check(scripts.length > 10 && jsProblems.length === 0, `no eval, new Function, string timer, innerHTML or document.write in ${scripts.length} scripts ${JSON.stringify(jsProblems)}`);
  // the browser enforces it: an injected inline script and a string timer are refused
  const enforced = await page.evaluate(async () => {
    const el = document.createElement('script');
    el.textContent = 'window.__inline = 1';
    document.head.append(el);
    setTimeout('window.__timer = 1', 0);
    // timers of equal delay run in order: once this one has run, the string timer would have
    await new Promise((r) => setTimeout(r, 0));
    // the two violation reports are events: wait for them (a minute is only a safety net)
    const t0 = performance.now();
    while (window.__csp.length < 2 && performance.now() - t0 < 60000) await new Promise((r) => document.addEventListener('securitypolicyviolation', r, { once: true }));
    const out = { inline: window.__inline || 0, timer: window.__timer || 0, violations: window.__csp.slice() };
    el.remove();
    window.__csp = [];
    return out;
  });
  const errorsBefore = log.errors.length, workerErrorsBefore = workerLogs.length;
  check(!enforced.inline && !enforced.timer && enforced.violations.length >= 2,
        `the browser refuses an inline script and a string timer (violations: ${JSON.stringify(enforced.violations)})`);

  // ---- 3. uploads stay in the browser
  console.log(`3. uploaded images make no request (${elapsed()})`);
  await page.click('#tab-inspect');
  if (await page.$('#panel-inspect .gallery button')) {
    await waitFor(() => page.$('#panel-inspect .gallery button:not([disabled])'), { what: 'the gallery' });
    await page.click('#panel-inspect .gallery button >> nth=0');
    await waitFor(() => rendered(page), { what: 'the first image' });
  }
  const jpeg = Buffer.from(await page.evaluate(async () => {
    const c = document.createElement('canvas'); c.width = 300; c.height = 200;
    const g = c.getContext('2d'); g.fillStyle = '#3a7'; g.fillRect(0, 0, 300, 200); g.fillStyle = '#fd2'; g.beginPath(); g.arc(150, 100, 60, 0, 7); g.fill();
    const b = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.9));
    const u = new Uint8Array(await b.arrayBuffer());
    let s = ''; for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  }), 'base64');
  const picture = png(120, 90);
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const ways = [
    ['file input, PNG', async () => page.setInputFiles('[data-testid=upload-input]', { name: 'holiday.png', mimeType: 'image/png', buffer: picture })],
    ['file input, JPEG', async () => page.setInputFiles('[data-testid=upload-input]', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: jpeg })],
    ['drag and drop', async () => page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      const zone = document.querySelector('#panel-inspect .dropzone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, png(64, 64).toString('base64'))],
    ['paste', async () => page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
      const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      (document.activeElement || document.body).dispatchEvent(ev);
    }, png(50, 70).toString('base64'))],
  ];
  for (const [how, act] of ways) {
    const v0 = await imageVersion(page);
    const n0 = log.requests.length;
    await act();
    const ok = await waitFor(async () => (await imageVersion(page)) !== v0 && rendered(page), { what: `${how} rendered` }).then(() => true, () => false);
    // Not a wait for an event: a window in which a request that must not happen (a beacon, a
    // lazy upload) would show. A slow machine can only make it miss a late one, never fail.
    await page.waitForTimeout(1500);
    const after = log.requests.slice(n0).filter((u) => !u.startsWith('blob:') && !u.startsWith('data:'));
    check(ok, `${how}: the picture is shown and predicted`);
    check(after.length === 0 && sockets.length === 0, `${how}: no request after the upload (${after.length}: ${JSON.stringify(after.slice(0, 3))})`);
  }

  // ---- 4. file names are text
  console.log(`4. file names are never HTML (${elapsed()})`);
  const names = ['<img src=x onerror="window.__pwned=1">.png', '"><svg onload="window.__pwned=2">.png'];
  const weights = await page.evaluate(() => Array.from(window.excite.getWeights('CNN')));
  // a small but valid-looking archive (random records) and a broken one, both with an HTML name
  const tarHeader = (name, size) => {
    const h = Buffer.alloc(512);
    h.write(name, 0); h.write('0000644\0', 100); h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(size.toString(8).padStart(11, '0') + '\0', 124); h.write('00000000000\0', 136); h.write('0', 156);
    h.write('ustar\0', 257); h.write('00', 263); h.fill(' ', 148, 156);
    let sum = 0; for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return h;
  };
  const rec = Buffer.alloc(3073 * 2, 7); rec[0] = 1; rec[3073] = 2;
  const tarball = zlib.gzipSync(Buffer.concat([tarHeader('cifar-10-batches-bin/test_batch.bin', rec.length), rec, Buffer.alloc(512 - (rec.length % 512)), Buffer.alloc(1024)]));
  // each case ends in a state the page reaches once it has handled the file: the picture
  // rendered, the weights in use under that name, the archive chosen as the data, or an error
  const errorShown = () => page.$eval('[data-testid=error]', (e) => e.textContent.trim() !== '');
  const cases = [
    ['image, good', '[data-testid=upload-input]', names[0], 'image/png', picture, async (v0) => (await imageVersion(page)) !== v0 && rendered(page)],
    ['image, not an image', '[data-testid=upload-input]', names[1], 'image/png', Buffer.from('<b>not an image</b>'), errorShown],
    ['weights, good', '[data-testid=weights-input]', names[0].replace('.png', '.safetensors'), 'application/octet-stream', Buffer.from(weights),
      () => page.evaluate((n) => window.excite.modelInfo.CNN.source === 'file' && window.excite.modelInfo.CNN.name === n, names[0].replace('.png', '.safetensors'))],
    ['weights, broken', '[data-testid=weights-input]', names[1].replace('.png', '.safetensors'), 'application/octet-stream', Buffer.from('{"not":"safetensors"}'), errorShown],
    ['dataset archive', '[data-testid=data-input]', names[0].replace('.png', '.tar.gz'), 'application/gzip', tarball,
      async () => (await errorShown()) || page.evaluate(() => window.excite.data && window.excite.data.source === 'archive')],
    ['dataset archive, broken', '[data-testid=data-input]', names[1].replace('.png', '.tar.gz'), 'application/gzip', tarball.subarray(0, 40), errorShown],
  ];
  for (const [what, sel, name, type, buffer, handled] of cases) {
    await page.evaluate(() => window.excite.clearError());
    const v0 = await imageVersion(page);
    await page.setInputFiles(sel, { name, mimeType: type, buffer });
    const done = await waitFor(() => handled(v0), { what: `${what} handled` }).then(() => true, () => false);
    check(done, `${what}: the page handled the file`);
    const inj = await injected(page);
    const shown = await page.evaluate((name) => document.body.textContent.includes(name), name);
    const err = await page.$eval('[data-testid=error]', (e) => e.textContent.trim());
    check(!inj.pwned && inj.elements === 0, `${what}: the name "${name}" created no element and ran nothing${shown ? ' (shown as text)' : ''}${err ? `; error: "${err.slice(0, 70)}"` : ''}`);
  }

  // ---- 5. a little training, then: no CSP violation anywhere
  console.log(`5. training, then CSP violations (${elapsed()})`);
  if (haveData) {
    await page.reload();
    await ready(page);
    await page.click('#tab-train');
    if (await page.isVisible('[data-testid=train-resume-saved]')) await page.click('#panel-train button:has-text("Discard")');
    await page.check('input[name=train-model][value=both]');
    await page.selectOption('select[name=train-size]', '1000');
    await page.selectOption('select[name=test-size]', '500');
    await page.fill('input[name=epochs]', '1');
    await page.evaluate(() => window.excite.trainWorker.postMessage({ type: 'settings', settings: { pauseAt: { epoch: 1, batch: 2 } } }));
    await page.click('[data-testid=train-start]');
    const at = await waitFor(() => page.$eval('#panel-train > div', (e) => (e.dataset.workerState === 'paused' ? Number(e.dataset.pausedAtStep || 0) : 0)), { what: '2 training batches' }).catch(() => 0);
    const pts = await page.$eval('[data-testid=loss-chart]', (c) => c.dataset.points || '');
    await page.click('#panel-train button:has-text("Stop")');
    check(at === 2 && /CNN\.raw:2\b/.test(pts) && /CNN_SE\.raw:2\b/.test(pts), `trained 2 batches of both models in the worker (paused after batch ${at}; ${pts})`);
  } else {
    console.log('       (no CIFAR-10 data: training step skipped)');
  }
  const violations = await page.evaluate(() => window.__csp);
  const cspConsole = [...log.errors.slice(errorsBefore), ...workerLogs.slice(workerErrorsBefore)].filter((m) => /Content Security Policy|Refused to/i.test(m));
  check(violations.length === 0 && cspConsole.length === 0, `no CSP violation in the page or its workers (${JSON.stringify([...violations, ...cspConsole].slice(0, 3))})`);
  check(log.foreign.length === 0, `no request to another origin (${JSON.stringify(log.foreign.slice(0, 3))})`);
  await page.close();
} catch (e) {
  check(false, `unexpected: ${e.stack || e}`);
} finally {
  await browser.close();
  await srv.stop();
}
console.log(`security.spec: ${failed() ? failed() + ' FAILED' : 'all passed'} (${elapsed()})`);
process.exit(failed() ? 1 : 0);
