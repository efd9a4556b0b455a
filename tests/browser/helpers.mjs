// helpers.mjs - shared set-up of the page's browser tests: a free port, scripts/serve.mjs
// started on it (and stopped), headless Chromium through playwright-core with a fresh
// profile, console-error and request logging, and small assertion helpers.
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium.mjs';   // first: prints the browser's version
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export async function startServer() {
  const port = await freePort();
  const proc = spawn(process.execPath, [path.join(ROOT, 'scripts', 'serve.mjs')], {
    cwd: ROOT, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const t0 = Date.now();
  while (!out.includes('http://')) {
    if (proc.exitCode !== null) throw new Error(`serve.mjs exited: ${out}`);
    if (Date.now() - t0 > 120000) { proc.kill(); throw new Error(`serve.mjs did not start: ${out}`); }   // a safety net
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, origin: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

// options: more playwright context options (e.g. serviceWorkers: 'block')
export async function launch({ args = [], ...options } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...args],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    ...options,
  });
  return { context, close: async () => { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); } };
}

// Record console errors, page errors and every request of a page.
export function watch(page, origin) {
  const log = { errors: [], foreign: [], requests: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  // a request that fails shows in the console without its address: name it here
  log.failedRequests = [];
  page.on('requestfailed', (r) => log.failedRequests.push(`${r.url()} (${r.failure() && r.failure().errorText})`));
  page.on('request', (r) => {
    const u = r.url();
    log.requests.push(u);
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) log.foreign.push(u);
  });
  return log;
}

let failures = 0;
export function check(cond, what) {
  if (cond) console.log(`  ok   ${what}`);
  else { failures++; console.log(`  FAIL ${what}`); }
}
export function failed() { return failures; }

// Polls fn until it returns a truthy value; for exact states only (a value that cannot move
// past what is waited for). The timeout is a safety net for a slow, loaded machine.
export async function waitFor(fn, { timeout = 300000, interval = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
