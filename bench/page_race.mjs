// page_race.mjs - the page's own clock (a benchmark, not a test; `make bench` runs it): the
// Train panel's default race (both models, its default data size and epochs) in headless
// Chromium, twice: in a page that is not cross-origin isolated (as inside a course's iframe:
// the single-threaded SIMD build, one thread per model: wasm/README.md) and in an isolated
// one (the threaded build). Prints the
// seconds from Start to the end of the run and each model's images/second (the median of
// its batches' own rates, the `images_per_sec` of the page's CSV rows), then one JSON line
// {"page_race": {one: {...}, threads: {...}}} for bench/run.mjs. Nothing here fails on a
// slow figure; it exits non-zero only if a run cannot be done.
//   node bench/page_race.mjs [--only one|threads]
import { startServer, launch, waitFor } from '../tests/browser/helpers.mjs';

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
const LONG = 1800000; // a safety net for a stuck page, not a measure
const ISOLATION = ['cross-origin-opener-policy', 'cross-origin-embedder-policy'];

// Before the page's scripts: watch the training worker's 'batch' messages.
function recordBatches() {
  const W = window.Worker;
  window.__race = { rows: {} };
  window.Worker = class extends W {
    constructor(url, opts) {
      super(url, opts);
      this.addEventListener('message', (e) => {
        const d = e.data || {};
        if (d.type !== 'batch' || typeof d.csv !== 'string') return;
        (window.__race.rows[d.model] ||= []).push(Number(d.csv.trim().split(',').pop()));
      });
    }
  };
}

async function race(origin, isolated) {
  // serviceWorkers blocked: the page's cross-origin-isolation worker cannot add the headers
  const b = await launch({ serviceWorkers: 'block' });
  try {
    const { context } = b;
    if (!isolated) {
      // the same server without COOP/COEP: a page as a course's iframe gets it
      await context.route('**/*', async (route) => {
        const r = await route.fetch();
        const headers = Object.fromEntries(Object.entries(r.headers()).filter(([k]) => !ISOLATION.includes(k.toLowerCase())));
        await route.fulfill({ response: r, headers });
      });
    }
    const page = await context.newPage();
    await page.addInitScript(recordBatches);
    await page.goto(`${origin}/web/?panel=train`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: LONG });
    await page.waitForFunction(() => window.excite.workerInfo, null, { timeout: LONG });
    if (await page.isVisible('[data-testid=train-resume-saved]')) await page.click('#panel-train button:has-text("Discard")');
    const form = await page.evaluate(() => ({
      isolated: window.crossOriginIsolated,
      epochs: document.querySelector('input[name=epochs]').value,
      trainSize: document.querySelector('select[name=train-size]').value,
      model: (document.querySelector('input[name=train-model]:checked') || {}).value,
    }));
    const t0 = Date.now();
    await page.click('[data-testid=train-start]');
    await waitFor(async () => (await page.$eval('#panel-train > div', (e) => e.dataset.state)) === 'done',
      { timeout: LONG, interval: 200, what: 'the race to end' });
    const seconds = (Date.now() - t0) / 1000;
    const info = await page.evaluate(() => window.excite.workerInfo);
    const rows = await page.evaluate(() => window.__race.rows);
    const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : null; };
    const models = Object.fromEntries(Object.entries(rows).map(([m, v]) => [m, { batches: v.length, img_s: median(v) }]));
    return { isolated: form.isolated, build: info.build, threads: info.threads, modelWorkers: !!info.modelWorkers, epochs: Number(form.epochs),
      trainSize: Number(form.trainSize), model: form.model, seconds, models };
  } finally { await b.close(); }
}

const srv = await startServer();
const out = {};
try {
  for (const [key, isolated] of [['one', false], ['threads', true]]) {
    if (only && only !== key) continue;
    const r = await race(srv.origin, isolated);
    out[key] = r;
    const per = Object.entries(r.models).map(([m, v]) => `${m} ${v.img_s.toFixed(0)} img/s`).join(', ');
    console.log(`page race, ${isolated ? 'cross-origin isolated' : 'not isolated (as embedded)'}: ${r.build}, ${r.threads} thread(s)` +
      `${r.modelWorkers ? ' per model (the second in a model worker)' : ''}, ` +
      `${r.model} models, ${r.trainSize} images x ${r.epochs} epochs: ${r.seconds.toFixed(1)} s; median per batch ${per}`);
  }
} finally { await srv.stop(); }
console.log(JSON.stringify({ page_race: out }));
