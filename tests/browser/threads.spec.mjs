// threads.spec.mjs - the Train panel's Threads setting, in a cross-origin isolated page (the
// threaded build): the page opened with ?threads=1 trains on one thread; the setting offers
// 1 .. the cores the page reports (4 here: navigator.hardwareConcurrency is set to 4 in the
// page, the worker keeps the machine's); picking 2, 1, then 4 gives the worker that many
// threads up to its pool (maxThreads, the machine's cores, at most 16), and the URL keeps the
// choice. Every wait is for the worker's report (window.excite.workerInfo).
import './chromium.mjs';
import { startServer, launch, watch, check, failed } from './helpers.mjs';

const LONG = 300000; // a safety net, not a clock
const srv = await startServer();
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 4 }));
  const log = watch(page, srv.origin);
  await page.goto(`${srv.origin}/web/?panel=train&threads=1`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: LONG });
  const info0 = await page.evaluate(() => window.excite.workerInfo);
  check(info0 && info0.build === 'simd-threads' && info0.threads === 1 && info0.maxThreads >= 1,
    `?threads=1: the threaded build trains on one thread (${JSON.stringify(info0)})`);
  const options = await page.$$eval('select[name=threads] option', (os) => os.map((o) => o.value));
  const value = await page.$eval('select[name=threads]', (s) => s.value);
  check(options.join(',') === '1,2,3,4' && value === '1', `the Threads setting offers 1..4 and shows 1 (${options}; ${value})`);
  for (const n of [2, 1, 4]) {   // each answer differs from the one before (with 2 cores or more)
    const want = Math.min(n, info0.maxThreads);
    await page.selectOption('select[name=threads]', String(n));
    await page.waitForFunction((w) => window.excite.workerInfo && window.excite.workerInfo.threads === w, want, { timeout: LONG });
    const url = new URL(page.url());
    check(url.searchParams.get('threads') === String(n), `Threads ${n}: the worker uses ${want} of its ${info0.maxThreads} and the URL says threads=${url.searchParams.get('threads')}`);
  }
  const backend = await page.textContent('[data-testid=backend]');
  check(backend.includes(`${Math.min(4, info0.maxThreads)} thread`), `the engine line names the threads in use (“${backend}”)`);
  check(log.errors.length === 0, `no console errors (${JSON.stringify(log.errors)})`);
} finally {
  await browser.close();
  await srv.stop();
}
if (failed()) { console.log(`threads.spec: ${failed()} check(s) failed`); process.exit(1); }
console.log('threads.spec: all checks passed');
