// classroom.spec.mjs - the page where its users are: a new clone, a static course web site, an
// iframe inside a lesson (issue 12). Headless Chromium, real servers on localhost:
//   a. scripts/serve.mjs with no full CIFAR-10 (CIFAR10_DIR is an empty folder): the page says
//      it uses the demo subset, trains one epoch of the default race (both models, 5,000
//      training and 1,000 test images), shows a full gallery, evaluates; no console error and
//      no failed request; prints the bytes downloaded and the time to the first batch;
//   b. `make site` (build/site/) served by Python's http.server (no headers, ignores Range):
//      with service workers blocked the page trains single-threaded; with them, the
//      cross-origin-isolation worker takes over after one reload and the threaded build trains;
//   c. a course page on a second origin embeds Train, Inspect and SE anatomy with the page's
//      own "Embed this view" snippets: Train trains (one thread, and says so with a link to a new
//      tab), Inspect predicts a picture drawn here and uploaded, anatomy draws; no console error;
//      screenshots of that course page at 1280 and 360 px in build/classroom/;
//   d. file:// shows how to serve the page, in English and Chinese;
//   e. axe-core (WCAG 2.1 A and AA) finds nothing on any panel, full page and embedded.
// Every wait is for an exact state (data-ready, data-state, data-step, an attribute the page
// sets); timeouts are only safety nets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { ROOT, startServer, launch, watch, check, failed, waitFor, freePort } from './helpers.mjs';

const LONG = Number(process.env.LONG || 900000);   // safety net for training on a slow machine
// waitForFunction polls on animation frames by default, and Chromium gives none to a frame
// scrolled out of view (the course page's iframes): poll on a timer instead
const WAIT = { timeout: LONG, polling: 200 };
const OUT = path.join(ROOT, 'build', 'classroom');
fs.mkdirSync(OUT, { recursive: true });
const EMPTY = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-no-cifar-'));
process.env.CIFAR10_DIR = EMPTY;          // scripts/serve.mjs: no full set to offer
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

// failed requests and HTTP errors of a page (and its frames and workers)
function failures(page) {
  const bad = [];
  page.on('requestfailed', (r) => bad.push(`${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) bad.push(`${r.url()} (HTTP ${r.status()})`); });
  return bad;
}
const trainRoot = '#panel-train > div';
const ready = (p) => p.waitForSelector('body[data-ready="1"]', { timeout: LONG });
const backend = (p) => p.evaluate(() => window.excite.workerInfo);

// Fill the Train form, press Start; resolves with ms from the press to the first batch.
async function startTraining(p, { epochs = '1', trainSize, testSize } = {}) {
  await p.fill('input[name=epochs]', epochs);
  if (trainSize) await p.selectOption('select[name=train-size]', trainSize);
  if (testSize) await p.selectOption('select[name=test-size]', testSize);
  const tStart = Date.now();
  await p.click('[data-testid=train-start]');
  await p.waitForFunction(() => Number(document.querySelector('[data-testid=train-progress]').dataset.step) >= 1, null, WAIT);
  return Date.now() - tStart;
}
const trainingDone = (p) => p.waitForFunction((sel) => document.querySelector(sel).dataset.workerState === 'done', trainRoot, WAIT);
async function axeAudit(p, what) {
  await p.evaluate(AXE);
  const r = await p.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const v = r.violations.map((x) => `${x.id} (${x.impact}) on ${x.nodes.length}: ${x.nodes[0].html.slice(0, 120)}`);
  check(v.length === 0, `axe, ${what}: ${v.length ? v.join('; ') : `0 violations (${r.passes.length} rules pass)`}`);
}
// A picture drawn in the page (never a dataset image): a red car-like shape on a road.
async function drawnPicture(p) {
  const b64 = await p.evaluate(async () => {
    const c = document.createElement('canvas'); c.width = 320; c.height = 240;
    const g = c.getContext('2d');
    g.fillStyle = '#7fb2e5'; g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#555'; g.fillRect(0, 170, 320, 70);
    g.fillStyle = '#c0262d'; g.fillRect(70, 110, 180, 60); g.fillRect(110, 80, 100, 40);
    g.fillStyle = '#111'; for (const x of [110, 210]) { g.beginPath(); g.arc(x, 172, 20, 0, 7); g.fill(); }
    const bytes = new Uint8Array(await (await new Promise((r) => c.toBlob(r, 'image/png'))).arrayBuffer());
    let s = ''; for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

const srv = await startServer();
const browser = await launch();
const { context } = browser;
const kb = (n) => `${(n / 1048576).toFixed(2)} MiB`;
let py = null, course = null;
try {
  // ---- a. a new clone: the demo subset, nothing downloaded from elsewhere -----------------
  console.log(`a. serve.mjs without the full CIFAR-10 (${elapsed()})`);
  {
    const page = await context.newPage();
    const log = watch(page, srv.origin);
    const bad = failures(page);
    const bytes = [];
    page.on('requestfinished', (r) => bytes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize).catch(() => 0)));
    const tOpen = Date.now();
    await page.goto(`${srv.origin}/web/`);
    await ready(page);
    const tReady = Date.now() - tOpen;
    const data = await page.evaluate(() => window.excite.dataSet());
    check(data && data.id === 'demo' && data.train === 5000 && data.test === 1000, `the page uses the demo subset (${data && data.label})`);
    const note = await page.textContent('[data-testid=train-data]');
    check(/demo subset/.test(note) && /5,000/.test(note), `the Train panel says which set it trains on (“${note}”)`);
    const sizes = await page.$$eval('select[name=train-size] option', (os) => os.filter((o) => !o.disabled).map((o) => o.value));
    check(sizes.join() === '1000,2000,5000' && await page.inputValue('select[name=train-size]') === '5000',
          `only sizes the demo subset holds are offered, 5000 by default (${sizes.join(', ')})`);
    const info = await backend(page);
    const firstBatch = await startTraining(page, {});
    const before = (await Promise.all(bytes)).reduce((a, b) => a + b, 0);
    console.log(`     time to the first batch (${info.build}, ${info.threads} threads): page ready ${tReady} ms, Start -> first batch ${firstBatch} ms; ${kb(before)} downloaded so far (${bytes.length} requests)`);
    await trainingDone(page);
    const ep = await page.$$eval('[data-testid=epoch-acc-chart]', (c) => c.map((x) => x.dataset.points)[0]);
    check(/CNN\.test:1\b/.test(ep) && /CNN_SE\.test:1\b/.test(ep), `one epoch of the race on the demo subset, both models (epoch points ${ep}, ${elapsed()})`);
    await axeAudit(page, 'Train after a run (full page)');
    await page.click('#tab-inspect');
    await page.waitForFunction(() => document.querySelectorAll('#panel-inspect .gallery button').length > 0, null, { timeout: LONG });
    const thumbs = await page.$$eval('#panel-inspect .gallery button', (bs) => bs.length);
    const empty = await page.$eval('#panel-inspect .gallery button canvas', (c) => { const d = c.getContext('2d').getImageData(0, 0, 32, 32).data; return d.every((v, i) => i % 4 === 3 || v === d[0]); });
    check(thumbs >= 30 && !empty, `the Inspect gallery is full (${thumbs} test images from the demo subset)`);
    await page.click('#tab-evaluate');
    await page.click('[data-testid=eval-run]');
    await page.waitForFunction(() => document.querySelector('#panel-evaluate > div').dataset.evaluated, null, { timeout: LONG });
    const acc = await page.textContent('[data-testid=eval-results] .eval-acc');
    const evNote = await page.textContent('[data-testid=eval-data]');
    check(/%/.test(acc) && /demo subset/.test(evNote), `Evaluate runs on the demo subset's test images (${acc}; “${evNote}”)`);
    check(log.errors.length === 0, `no console error (${JSON.stringify(log.errors)})`);
    check(bad.length === 0, `no failed request (${bad.join(', ')})`);
    check(log.foreign.length === 0, `no request to another origin (${log.foreign.join(', ')})`);
    await page.close();
  }

  // ---- e. accessibility of every panel, full page and embedded ----------------------------
  console.log(`e. axe-core, WCAG 2.1 A and AA (${elapsed()})`);
  for (const embed of [false, true]) {
    for (const panel of ['train', 'inspect', 'evaluate', 'anatomy']) {
      const page = await context.newPage();
      await page.goto(`${srv.origin}/web/?panel=${panel}${embed ? '&embed=1' : ''}`);
      await ready(page);
      if (panel === 'inspect') await page.waitForFunction(() => document.querySelector('#panel-inspect > div').dataset.rendered, null, { timeout: LONG }).catch(async (e) => { console.log('DIAG', JSON.stringify(await page.evaluate(() => ({ data: window.excite.dataSet(), img: !!window.excite.image, err: document.getElementById('error-text').textContent, vis: document.visibilityState, pred: document.querySelector('[data-testid=prediction]').textContent.slice(0, 100), gal: document.querySelector('#panel-inspect .gallery')?.children.length })))); throw e; });
      if (panel === 'evaluate') {
        // the panel evaluates by itself once both models have weights; a press of the button
        // (enabled again when that run ends) makes sure there are results whatever the order
        await page.click('[data-testid=eval-run]', { timeout: LONG });
        await page.waitForFunction(() => document.querySelector('#panel-evaluate > div').dataset.evaluated, null, { timeout: LONG });
      }
      if (panel === 'anatomy') await page.waitForSelector('#panel-anatomy [data-testid=anatomy-s] .anat-cell', { timeout: LONG });
      await axeAudit(page, `${panel} (${embed ? 'embed=1' : 'full page'})`);
      await page.close();
    }
  }

  // ---- c. a course page on another origin embeds three views -----------------------------
  console.log(`c. a course page on another origin (${elapsed()})`);
  {
    const snippets = {};
    const page = await context.newPage();
    for (const [panel, q] of [['train', 'panel=train'], ['inspect', 'panel=inspect'], ['anatomy', 'panel=anatomy']]) {
      await page.goto(`${srv.origin}/web/?${q}`);
      await ready(page);
      await page.click('#embed-button');
      snippets[panel] = await page.inputValue('#embed-code');
      await page.click('#embed-close');
    }
    await page.close();
    const s = snippets.train;
    check(/allow="camera; cross-origin-isolated"/.test(s) && /title="excite — Train"/.test(s) && /height="\d{3,4}"/.test(s) && /embed=1/.test(s),
          `the snippet allows the camera and cross-origin isolation, has a title and a height (${s})`);
    const cport = await freePort();
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Week 5: channel attention</title></head><body style="font-family: sans-serif; max-width: 60rem; margin: 0 auto; padding: 0 12px;">
<h1>Week 5: channel attention</h1><p>Train both networks here, then look inside them.</p>
<h2>Train</h2>${snippets.train}<h2>Inspect a picture</h2>${snippets.inspect}<h2>Inside an SE block</h2>${snippets.anatomy}</body></html>`;
    course = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(html); });
    await new Promise((r) => course.listen(cport, '127.0.0.1', r));
    const cp = await context.newPage();
    const log = watch(cp, srv.origin);
    const bad = failures(cp);
    await cp.goto(`http://localhost:${cport}/`);   // localhost vs 127.0.0.1: another origin
    const frames = {};
    for (const [i, panel] of ['train', 'inspect', 'anatomy'].entries()) {
      const h = (await cp.$$('iframe'))[i];
      await h.scrollIntoViewIfNeeded();   // loading="lazy": a reader scrolls to it
      frames[panel] = await waitFor(() => h.contentFrame(), { what: `the ${panel} iframe` });
      await frames[panel].waitForSelector('body[data-ready="1"]', { timeout: LONG });
    }
    const tf = frames.train;
    const info = await backend(tf);
    const limits = await tf.evaluate(() => ({ shown: !document.getElementById('embed-limits').hidden, text: document.getElementById('embed-limits').textContent, href: document.getElementById('embed-open').href }));
    check(info && info.threads === 1, `embedded Train has its training worker (${info && info.build}, ${info && info.threads} thread)`);
    check(limits.shown && /one thread/.test(limits.text) && !/embed=1/.test(limits.href) && /panel=train/.test(limits.href),
          `it says training runs on one thread here, with a link to a new tab (“${limits.text.trim()}” -> ${limits.href})`);
    const ms = await startTraining(tf, { trainSize: '1000', testSize: '500' });
    console.log(`     embedded Train: Start -> first batch ${ms} ms (${info.build}, 1 thread)`);
    await trainingDone(tf);
    check(true, `embedded Train trained one epoch (${elapsed()})`);
    const inf = frames.inspect;
    await (await inf.frameElement()).scrollIntoViewIfNeeded();   // the reader scrolls down to it
    await inf.waitForFunction(() => document.querySelector('#panel-inspect > div').dataset.rendered, null, WAIT);
    const camOk = await inf.evaluate(() => document.featurePolicy ? document.featurePolicy.allowsFeature('camera') : null);
    check(camOk !== false, `the camera is allowed in the embedded Inspect view (permissions policy: ${camOk})`);
    await inf.setInputFiles('[data-testid=upload-input]', { name: 'drawn-car.png', mimeType: 'image/png', buffer: await drawnPicture(cp) });
    await inf.waitForFunction(() => window.excite.image && window.excite.image.source === 'upload' &&
      document.querySelector('#panel-inspect > div').dataset.rendered === String(window.excite.image.version), null, WAIT);
    const pred = await inf.textContent('[data-testid=prediction]');
    check(/airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck/.test(pred), `embedded Inspect predicts the uploaded picture (${pred.replace(/\s+/g, ' ').slice(0, 80)}…)`);
    await (await frames.anatomy.frameElement()).scrollIntoViewIfNeeded();
    const cells = await frames.anatomy.waitForSelector('#panel-anatomy [data-testid=anatomy-s] .anat-cell', { timeout: LONG }).then(() => frames.anatomy.$$eval('#panel-anatomy [data-testid=anatomy-s] .anat-cell', (c) => c.length));
    check(cells > 0, `embedded SE anatomy draws (${cells} channel weights)`);
    check(log.errors.length === 0, `course page: no console error (${JSON.stringify(log.errors)})`);
    check(bad.length === 0, `course page: no failed request (${bad.join(', ')})`);
    // the whole course page in the viewport (frames in other processes are drawn only there),
    // each view scrolled to its top as a reader first sees it
    for (const w of [1280, 360]) {
      await cp.setViewportSize({ width: w, height: 900 });
      const h = await cp.evaluate(() => document.documentElement.scrollHeight);
      await cp.setViewportSize({ width: w, height: h });
      for (const f of Object.values(frames)) {
        await (await f.frameElement()).scrollIntoViewIfNeeded();   // each frame painted at this size
        await f.evaluate(() => new Promise((r) => { scrollTo(0, 0); requestAnimationFrame(() => requestAnimationFrame(r)); }));
      }
      await cp.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await cp.screenshot({ path: path.join(OUT, `course-${w}.png`) });
    }
    console.log(`     screenshots: build/classroom/course-1280.png, course-360.png`);
    await cp.close();
  }

  // ---- d. file:// ------------------------------------------------------------------------
  console.log(`d. file:// (${elapsed()})`);
  {
    const page = await context.newPage();
    await page.goto(`file://${path.join(ROOT, 'web', 'index.html')}`);
    await page.waitForSelector('#file-hint', { state: 'visible' });
    const en = await page.textContent('#file-hint [lang=en]');
    const zh = await page.textContent('#file-hint [lang=zh-CN]');
    const header = await page.isVisible('header');
    check(/served by a web server/.test(en) && /make demo/.test(en) && /http\.server/.test(en), 'file:// says in English how to serve the page');
    check(/网页服务器/.test(zh) && /make demo/.test(zh), 'file:// says it in Chinese too');
    check(!header, 'and shows nothing else of the page');
    await page.screenshot({ path: path.join(OUT, 'file-protocol.png'), fullPage: true });
    await page.close();
    const p2 = await context.newPage();
    await p2.goto(`${srv.origin}/web/`);
    await ready(p2);
    check(!(await p2.isVisible('#file-hint')), 'served over HTTP, the hint is not shown');
    await p2.close();
  }
} finally {
  if (course) course.close();
  await browser.close();
  await srv.stop();
}

// ---- b. make site, on a plain static server ------------------------------------------------
console.log(`b. make site on python3 -m http.server (${elapsed()})`);
const SITE = path.join(ROOT, 'build', 'site-test');
execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'site.mjs'), SITE], { stdio: 'inherit' });
const pport = await freePort();
py = spawn('/usr/bin/python3', ['-m', 'http.server', String(pport), '--bind', '127.0.0.1', '--directory', SITE], { stdio: 'ignore' });
const site = `http://127.0.0.1:${pport}`;
try {
  const probe = await waitFor(() => fetch(`${site}/web/data/cifar10-demo/test_batch.bin`, { headers: { Range: 'bytes=0-3072' } }).then((r) => r).catch(() => null), { what: 'http.server' });
  await probe.body.cancel();
  check(probe.status === 200 && !probe.headers.get('cross-origin-embedder-policy'), `the static server ignores Range (HTTP ${probe.status}) and sends no COOP/COEP`);
  // a browser without service workers (as in some private modes): single-threaded, and it trains
  const b1 = await launch();
  try {
    const page = await b1.context.newPage();
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined }));
    const log = watch(page, site);
    const tOpen = Date.now();
    await page.goto(`${site}/web/`);
    await ready(page);
    const tReady = Date.now() - tOpen;
    const info = await backend(page);
    check(info.threads === 1 && info.build !== 'simd-threads', `without isolation the page trains single-threaded (${info.build}, ${info.threads} thread)`);
    // the default run, as a first visit starts it (timed), then a short one to its end
    const ms = await startTraining(page, {});
    console.log(`     time to the first batch (${info.build}, 1 thread): page ready ${tReady} ms, Start -> first batch ${ms} ms`);
    await page.click('button:text-is("Stop")');
    await page.waitForFunction((sel) => document.querySelector(sel).dataset.workerState === 'stopped', trainRoot, { timeout: LONG });
    await startTraining(page, { trainSize: '1000', testSize: '500' });
    await trainingDone(page);
    check(true, `it trains one epoch on a server that ignores Range (${elapsed()})`);
    check(log.errors.length === 0, `no console error (${JSON.stringify(log.errors)})`);
  } finally { await b1.close(); }
  // with the service worker: one reload, then cross-origin isolated and threaded
  const b2 = await launch();
  try {
    const page = await b2.context.newPage();
    const log = watch(page, site);
    await page.goto(`${site}/web/`);
    const state = () => page.evaluate(() => document.body.dataset.ready === '1' && window.crossOriginIsolated && navigator.serviceWorker.controller &&
      window.excite.workerInfo && window.excite.workerInfo.build).catch(() => null);   // null while the reload replaces the page
    const build = await waitFor(state, { timeout: LONG, what: 'the service worker to take over' });
    const text = await page.textContent('[data-testid=backend]');
    const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].type);
    check(build === 'simd-threads' && /simd-threads/.test(text) && nav === 'reload', `after the service worker's reload (this document: ${nav}) the page reports the threaded build (“${text}”)`);
    const info = await backend(page);
    const ms = await startTraining(page, {});
    console.log(`     time to the first batch (${info.build}, ${info.threads} threads, service worker): Start -> first batch ${ms} ms`);
    await page.click('button:text-is("Stop")');
    await page.waitForFunction((sel) => document.querySelector(sel).dataset.workerState === 'stopped', trainRoot, { timeout: LONG });
    check(log.errors.length === 0, `no console error with the service worker (${JSON.stringify(log.errors)})`);
  } finally { await b2.close(); }
} finally {
  py.kill();
  fs.rmSync(SITE, { recursive: true, force: true });
  fs.rmSync(EMPTY, { recursive: true, force: true });
}

const n = failed();
console.log(n ? `classroom: ${n} check(s) failed (${elapsed()})` : `classroom: all checks passed (${elapsed()})`);
process.exit(n ? 1 : 0);
