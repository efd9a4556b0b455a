// your-images.spec.mjs - the "Your images" data source (issue 15), through the real UI:
//   a. classes: add three (one named in Chinese); a duplicate name, an empty name and an 11th
//      class are refused with their messages;
//   b. pictures: a generated ImageFolder set (three classes of drawn shapes on random
//      backgrounds, PNG files of various sizes, made here) through the file picker; a text
//      file, a 0-byte file and a 100-megapixel PNG in the same pick are refused by name and the
//      good files are added; a camera burst (Chromium's fake device playing a y4m made here)
//      adds its count of snapshots, each deleted by its × button; rename, paste and drop; the
//      browser's quota refusal keeps what was stored;
//   c. the split per class is shown and adds up; one class only and a class without pictures
//      cannot be trained on (messages);
//   d. a reload keeps the classes and the pictures (IndexedDB);
//   e. export .zip -> import: the same 32x32 bytes, names and split; a damaged zip and a zip
//      with a path outside its root are refused and nothing is lost;
//   f. CNN and CNN_SE race on it in the page and both reach >= 90% test accuracy; excite train
//      --images on the unzipped export has the same split and first-batch loss; fine-tuning from
//      the CIFAR-10 weights with frozen convolution blocks reaches >= 90% too; a run paused by
//      the worker resumes after a reload to its end; Inspect's class picker and Evaluate's
//      confusion matrix list the user's classes;
//   g. the panel in Chinese; screenshots of the data view, the trained run and Inspect at 1280
//      and 360 px (build/screenshots/your-images-*.png); axe-core on the panel: 0 violations.
// The export zip and the first batch of the run are kept in build/your-images/ (export.zip,
// first-batch.json). Needs build/excite (the test runs make native).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, startServer, launch, watch, check, failed, waitFor } from './helpers.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { zipSync, unzipSync } from '../../web/vendor/fflate.mjs';

const OUT = path.join(ROOT, 'build', 'your-images');
const SHOTS = path.join(ROOT, 'build', 'screenshots');
fs.mkdirSync(OUT, { recursive: true });
fs.mkdirSync(SHOTS, { recursive: true });
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

// ---- the generated set -------------------------------------------------------------------
let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
const ri = (a, b) => a + Math.floor(rand() * (b - a + 1));
function png(w, h, rgb) {
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) { raw[y * (1 + 3 * w)] = 0; rgb.copy(raw, y * (1 + 3 * w) + 1, y * 3 * w, (y + 1) * 3 * w); }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32 ? zlib.crc32(td) : crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
function crc32(b) { let c = ~0; for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; } return (~c) >>> 0; }
// one picture of class k: 0 a disc, 1 a checkerboard, 2 horizontal stripes, on a random noisy background
function drawn(k) {
  const w = ri(40, 90), h = ri(40, 90), s = Math.min(w, h), cx = w / 2 + ri(-3, 3), cy = h / 2 + ri(-3, 3);
  const bg = [ri(0, 255), ri(0, 255), ri(0, 255)], fg = bg.map((v) => (v + 128 + ri(-40, 40)) & 255);
  const r = s * (0.25 + 0.15 * rand()), period = ri(5, 9);
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const inside = k === 0 ? (x - cx) ** 2 + (y - cy) ** 2 < r * r
      : k === 1 ? (Math.floor(x / period) + Math.floor(y / period)) % 2 === 0
        : Math.floor(y / period) % 2 === 0;
    const c = inside ? fg : bg;
    for (let ch = 0; ch < 3; ch++) rgb[(y * w + x) * 3 + ch] = Math.max(0, Math.min(255, c[ch] + ri(-20, 20)));
  }
  return png(w, h, rgb);
}
const CLASSES = ['disc', '方格', 'stripes'];   // label order is code-point order: disc, stripes, 方格
const PER_CLASS = 60;
const EPOCHS = 12, FT_EPOCHS = 4;
const DIR = path.join(OUT, 'set');
fs.rmSync(DIR, { recursive: true, force: true });
const files = CLASSES.map((name, k) => {
  fs.mkdirSync(path.join(DIR, name), { recursive: true });
  return Array.from({ length: PER_CLASS }, (_, i) => { const f = path.join(DIR, name, `${String(i).padStart(4, '0')}.png`); fs.writeFileSync(f, drawn(k)); return f; });
});
// bad files in the pick of the first class
const BAD = path.join(OUT, 'bad');
fs.mkdirSync(BAD, { recursive: true });
fs.writeFileSync(path.join(BAD, 'notes.txt'), 'not a picture\n');
fs.writeFileSync(path.join(BAD, 'empty.png'), Buffer.alloc(0));
{ // a 10000x10000 PNG: a valid header, refused from it (the core's 40-megapixel limit)
  const big = png(1, 1, Buffer.from([0, 0, 0]));
  big.writeUInt32BE(10000, 16); big.writeUInt32BE(10000, 20);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(big.subarray(12, 29))); crc.copy(big, 29);
  fs.writeFileSync(path.join(BAD, 'huge.png'), big);
}
// the camera: 64x48 y4m frames of a disc (bright) on a dark noisy background
const Y4M = path.join(OUT, 'camera.y4m');
{
  const W = 64, H = 48, parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < 20; f++) {
    const yp = Buffer.alloc(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) yp[y * W + x] = ((x - 32) ** 2 + (y - 24) ** 2 < (12 + (f % 5)) ** 2 ? 220 : 40) + ri(0, 20);
    parts.push(Buffer.from('FRAME\n'), yp, Buffer.alloc(W * H / 2, 128));
  }
  fs.writeFileSync(Y4M, Buffer.concat(parts));
}

// ---- the page ------------------------------------------------------------------------------
const srv = await startServer();
const browser = await launch({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${Y4M}`] });
const { context } = browser;
await context.grantPermissions(['camera'], { origin: srv.origin });
const page = await context.newPage();
const log = watch(page, srv.origin);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const root = '#panel-images > div';
const ready = () => page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
const errorText = () => page.$eval('[data-testid=error]', (e) => (e.closest('#error').hidden ? '' : e.textContent));
const counts = () => page.$$eval(`${root} [data-testid=ui-class]`, (cs) => Object.fromEntries(cs.map((c) => [c.dataset.name, Number(c.dataset.count)])));
const card = (name) => `${root} [data-testid=ui-class][data-name="${name}"]`;
// the set as the page holds it: names in label order and a hash of every input's bytes
const snapshot = () => page.evaluate(async () => {
  const cs = window.excite.services.userImages.classes();
  const all = new Uint8Array(cs.reduce((s, c) => s + c.images.length, 0) * 3072);
  let o = 0;
  for (const c of cs) for (const im of c.images) { all.set(im.bytes, o); o += 3072; }
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return { names: cs.map((c) => c.name), counts: cs.map((c) => c.images.length), hash: Array.from(h, (b) => b.toString(16).padStart(2, '0')).join(''),
    split: window.excite.services.userImages.split().counts };
});
const addedTimes = () => page.$eval(root, (e) => Number(e.dataset.added || 0));
async function pick(name, paths) {
  const before = await addedTimes();
  await page.setInputFiles(`${card(name)} [data-testid=ui-files]`, paths);
  await waitFor(async () => (await addedTimes()) > before, { what: `pictures added to ${name}` });
}
// type a name and press Add class; then wait for its card, or (refused) for the field to keep it
async function addClass(name, { refused = false } = {}) {
  await page.fill('[data-testid=ui-name]', name);
  await page.click('[data-testid=ui-add-class]');
  if (!refused) await page.waitForSelector(card(name.trim()), { timeout: 60000 });
  else await waitFor(async () => (await errorText()) !== '', { what: `the message for “${name}”` });
}
async function shoot(name) {
  for (const w of [1280, 360]) {
    await page.setViewportSize({ width: w, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `your-images-${name}-${w}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

try {
  await page.goto(`${srv.origin}/web/?panel=images`);
  await ready();

  console.log(`a. classes (${elapsed()})`);
  await addClass(CLASSES[0]);
  await page.click('[data-testid=ui-use]');
  check(/at least 2 classes/.test(await errorText()), `one class only cannot be trained on (“${await errorText()}”)`);
  for (const n of CLASSES.slice(1)) await addClass(n);
  await waitFor(async () => Object.keys(await counts()).length === 3, { what: 'three classes' });
  await addClass(' Disc ', { refused: true });
  check(/already a class named “Disc”/.test(await errorText()), `a duplicate name is refused (“${await errorText()}”)`);
  await page.$eval('#error-dismiss', (b) => b.click());
  await addClass('   ', { refused: true });
  check(/Type a name/.test(await errorText()), 'an empty name is refused');
  for (let i = 0; i < 7; i++) await addClass(`extra ${i}`);
  await waitFor(async () => Object.keys(await counts()).length === 10, { what: 'ten classes' });
  await addClass('eleventh', { refused: true });
  check(/At most 10 classes/.test(await errorText()), 'an 11th class is refused');
  for (let i = 0; i < 7; i++) {
    await page.click(`${card(`extra ${i}`)} [data-testid=ui-delete-class]`);
    await waitFor(async () => !(`extra ${i}` in await counts()), { what: `extra ${i} deleted` });
  }
  check(JSON.stringify(Object.keys(await counts())) === JSON.stringify(['disc', 'stripes', '方格']), 'three classes left, in label (code-point) order');

  console.log(`b. pictures (${elapsed()})`);
  await pick('disc', [...files[0], ...['notes.txt', 'empty.png', 'huge.png'].map((f) => path.join(BAD, f))]);
  const e1 = await errorText();
  check(/3 files were not added/.test(e1) && /notes\.txt \(not a picture\)/.test(e1) && /empty\.png \(empty/.test(e1) && /huge\.png \(too large\)/.test(e1), `a text file, a 0-byte file and a 100-megapixel picture are named (“${e1}”)`);
  check((await counts()).disc === PER_CLASS, `the ${PER_CLASS} good pictures of the same pick are added`);
  await pick('方格', files[1]);
  await pick('stripes', files[2]);
  check(JSON.stringify(await counts()) === JSON.stringify({ disc: PER_CLASS, stripes: PER_CLASS, 方格: PER_CLASS }), 'each class has its pictures');

  // the camera: a burst while the button is held
  await page.selectOption('[data-testid=ui-target]', { label: 'disc' });
  await page.click('[data-testid=ui-camera-open]');
  await page.waitForSelector('[data-testid=ui-hold]', { state: 'visible', timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=ui-video]').videoWidth > 0, null, { timeout: 60000 });
  const hold = await page.$('[data-testid=ui-hold]');
  const box = await hold.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=ui-burst-count]').dataset.n || 0) >= 6, null, { timeout: 120000 });
  await page.mouse.up();
  await page.waitForSelector('[data-testid=ui-camera][data-recording=false]');   // the last snapshot stored
  const burst = await page.$eval('[data-testid=ui-burst-count]', (e) => ({ n: Number(e.dataset.n), text: e.textContent }));
  await waitFor(async () => (await counts()).disc === PER_CLASS + burst.n, { what: 'the burst stored' });
  check(burst.n >= 6 && /snapshots added to “disc”/.test(burst.text), `a camera burst adds its snapshots with a count shown (“${burst.text}”)`);
  await page.click('[data-testid=ui-camera-open]');
  // delete one: the snapshots go again (grey frames; the set trained on is the generated one)
  for (let i = burst.n; i > 0; i--) {
    await page.click(`${card('disc')} .ui-thumb:last-child [data-testid=ui-delete-picture]`);
    await waitFor(async () => (await counts()).disc === PER_CLASS + i - 1, { what: 'a picture deleted' });
  }
  check((await counts()).disc === PER_CLASS, `each snapshot deleted by its × button (${burst.n})`);

  // rename: to a name in use is refused, to a new one moves the class in the label order
  await page.fill(`${card('stripes')} [data-testid=ui-rename-input]`, 'DISC');
  await page.click(`${card('stripes')} [data-testid=ui-rename]`);
  check(/already a class named “DISC”/.test(await errorText()), 'renaming to a name in use is refused');
  await page.fill(`${card('stripes')} [data-testid=ui-rename-input]`, 'lines');
  await page.click(`${card('stripes')} [data-testid=ui-rename]`);
  await waitFor(async () => 'lines' in await counts(), { what: 'renamed' });
  await page.fill(`${card('lines')} [data-testid=ui-rename-input]`, 'stripes');
  await page.click(`${card('lines')} [data-testid=ui-rename]`);
  await waitFor(async () => 'stripes' in await counts(), { what: 'renamed back' });
  check((await counts()).stripes === PER_CLASS, 'a renamed class keeps its pictures');

  // paste while the tab is shown: the picture goes to the class chosen for camera and paste
  await page.selectOption('[data-testid=ui-target]', { label: '方格' });
  const pasted = fs.readFileSync(files[1][0]).toString('base64');
  const beforePaste = await addedTimes();
  await page.evaluate((b64) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'pasted.png', { type: 'image/png' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, pasted);
  await waitFor(async () => (await addedTimes()) > beforePaste, { what: 'the paste' });
  check((await counts())['方格'] === PER_CLASS + 1, 'a pasted picture is added to the chosen class');
  await page.click(`${card('方格')} .ui-thumb:last-child [data-testid=ui-delete-picture]`);
  await waitFor(async () => (await counts())['方格'] === PER_CLASS, { what: 'the pasted picture deleted' });

  // drop: files dropped on a class (a text file among them is named and skipped)
  const beforeDrop = await addedTimes();
  await page.evaluate(({ b64, sel }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
    dt.items.add(new File(['just text'], 'readme.txt', { type: 'text/plain' }));
    document.querySelector(sel).dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { b64: pasted, sel: `${card('stripes')} [data-testid=ui-drop]` });
  await waitFor(async () => (await addedTimes()) > beforeDrop, { what: 'the drop' });
  check((await counts()).stripes === PER_CLASS + 1 && /readme\.txt \(not a picture\)/.test(await errorText()), `a drop adds its pictures and names the file that is not one (“${await errorText()}”)`);
  await page.click(`${card('stripes')} .ui-thumb:last-child [data-testid=ui-delete-picture]`);
  await waitFor(async () => (await counts()).stripes === PER_CLASS, { what: 'the dropped picture deleted' });

  // the quota: the browser refuses the next write; nothing stored is lost
  const before = await snapshot();
  await page.evaluate(() => {
    const add = IDBObjectStore.prototype.add;
    window.__restoreAdd = () => { IDBObjectStore.prototype.add = add; };
    IDBObjectStore.prototype.add = function () { throw new DOMException('quota', 'QuotaExceededError'); };
  });
  await page.setInputFiles(`${card('stripes')} [data-testid=ui-files]`, files[2].slice(0, 5));
  await waitFor(async () => /storage quota/.test(await errorText()), { what: 'the quota message' });
  await page.evaluate(() => window.__restoreAdd());
  check(JSON.stringify(await snapshot()) === JSON.stringify(before), `over the quota: a clear message, nothing lost (“${(await errorText()).slice(0, 60)}…”)`);
  await page.$eval('#error-dismiss', (b) => b.click());

  console.log(`c. split (${elapsed()})`);
  const split = await page.$$eval(`${root} [data-testid=ui-split] tbody tr`, (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  const total = split.reduce((s, r) => s + Number(r[1]) + Number(r[2]), 0);
  check(split.length === 3 && total === 3 * PER_CLASS && split.every((r) => Math.abs(Number(r[2]) / (Number(r[1]) + Number(r[2])) - 0.2) < 0.02),
    `the split shows each class's training and test pictures, 80/20 (${JSON.stringify(split)})`);
  await addClass('empty one');
  await page.click('[data-testid=ui-use]');
  check(/“empty one” has no pictures/.test(await errorText()), 'a class with no pictures cannot be trained on');
  await page.click(`${card('empty one')} [data-testid=ui-delete-class]`);
  await waitFor(async () => !('empty one' in await counts()), { what: 'empty class deleted' });
  await shoot('data');

  console.log(`d. reload (${elapsed()})`);
  const kept = await snapshot();
  await page.reload();
  await ready();
  await page.waitForFunction(() => document.querySelector('#panel-images > div').dataset.pictures > 0, null, { timeout: 60000 });
  check(JSON.stringify(await snapshot()) === JSON.stringify(kept), `a reload keeps the classes and the pictures (${kept.counts.join('+')})`);

  console.log(`e. export and import (${elapsed()})`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=ui-export]')]);
  const zipPath = path.join(OUT, 'export.zip');
  await dl.saveAs(zipPath);
  const zipBytes = fs.readFileSync(zipPath);
  const bad = path.join(OUT, 'bad.zip'), evil = path.join(OUT, 'evil.zip');
  fs.writeFileSync(bad, zipBytes.subarray(0, 200));
  fs.writeFileSync(evil, zipSync({ 'a/0000.png': new Uint8Array(fs.readFileSync(files[0][0])), '../evil/0000.png': new Uint8Array(fs.readFileSync(files[0][1])) }));
  for (const [f, re, what] of [[bad, /not a zip archive that can be read/, 'a damaged zip'], [evil, /path outside its folder/, 'a zip with ../ in a path']]) {
    await page.setInputFiles('[data-testid=ui-import]', f);
    await waitFor(async () => re.test(await errorText()), { what });
    check(JSON.stringify(await snapshot()) === JSON.stringify(kept), `${what} is refused with a message, nothing lost (“${(await errorText()).slice(0, 70)}…”)`);
  }
  // clear the set, then import the export
  for (const n of ['disc', 'stripes', '方格']) {
    page.once('dialog', (d) => d.accept());
    await page.click(`${card(n)} [data-testid=ui-delete-class]`);
    await waitFor(async () => !(n in await counts()), { what: `${n} deleted` });
  }
  await page.setInputFiles('[data-testid=ui-import]', zipPath);
  await waitFor(async () => Object.keys(await counts()).length === 3, { what: 'the import' });
  const back = await snapshot();
  check(JSON.stringify(back) === JSON.stringify(kept), `export -> import: the same 32×32 bytes, names and split (${back.hash.slice(0, 12)})`);

  console.log(`f. training (${elapsed()})`);
  await page.click('[data-testid=ui-use]');
  await page.waitForSelector('#panel-train:not([hidden])');
  const note = await page.$eval('[data-testid=train-data]', (e) => e.textContent);
  check(/Your images: 3 classes/.test(note), `the Train panel trains on the user's set (“${note}”)`);
  await page.check('input[name=train-model][value=both]');
  await page.fill('input[name=epochs]', String(EPOCHS));
  await page.selectOption('select[name=batch]', '16');
  await page.evaluate(() => {
    window.__epochs = []; window.__first = null;
    window.excite.trainWorker.addEventListener('message', (e) => {
      if (e.data.type === 'epoch') window.__epochs.push({ model: e.data.model, epoch: e.data.epoch, testAcc: e.data.testAcc, trainAcc: e.data.trainAcc });
      if (e.data.type === 'batch' && e.data.step === 1 && !window.__first) window.__first = { model: e.data.model, loss: e.data.loss, csv: e.data.csv };
      if (e.data.type === 'data-ready') window.__data = { nTrain: e.data.nTrain, nTest: e.data.nTest };
    });
  });
  await page.click('[data-testid=train-start]');
  await page.waitForFunction(() => document.querySelector('#panel-train > div').dataset.state === 'done', null, { timeout: 1800000 });
  const epochs = await page.evaluate(() => window.__epochs);
  const last = (k) => epochs.filter((e) => e.model === k).pop();
  console.log('  test accuracy by epoch:', ['CNN', 'CNN_SE'].map((k) => `${k} ${epochs.filter((e) => e.model === k).map((e) => (100 * e.testAcc).toFixed(0)).join(' ')}`).join('; '));
  for (const k of ['CNN', 'CNN_SE']) check(last(k) && last(k).testAcc >= 0.9, `${k} reaches ≥ 90% test accuracy on the split (${last(k) ? (100 * last(k).testAcc).toFixed(1) : '–'}%)`);
  const first = await page.evaluate((epochs) => ({ ...window.__first, data: window.__data, settings: { epochs, batchSize: 16, seed: Number(document.querySelector('input[name=seed]').value), augment: document.querySelector('input[name=augment]').checked } }), EPOCHS);
  fs.writeFileSync(path.join(OUT, 'first-batch.json'), JSON.stringify(first, null, 1) + '\n');
  check(first.data && first.data.nTest === kept.split.reduce((s, c) => s + c.test, 0), `the worker trained on the split (${first.data && first.data.nTrain} training, ${first.data && first.data.nTest} test)`);
  // the command line on the unzipped export: the same split and the same first batch
  const unz = path.join(OUT, 'export');
  fs.rmSync(unz, { recursive: true, force: true });
  for (const [p, b] of Object.entries(unzipSync(new Uint8Array(zipBytes)))) {
    if (p.endsWith('/')) continue;
    fs.mkdirSync(path.join(unz, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(unz, p), b);
  }
  execFileSync('make', ['-s', '-C', ROOT, 'native'], { stdio: 'inherit' });
  const cli = spawnSync(path.join(ROOT, 'build', 'excite'), ['train', '--images', unz, '--model', 'cnn', '--seed', String(first.settings.seed), '--batch', '16',
    ...(first.settings.augment ? ['--augment'] : []), '--epochs', '1', '--csv', path.join(OUT, 'cli')], { encoding: 'utf8' });
  const cliRow = cli.status === 0 ? fs.readFileSync(path.join(OUT, 'cli-batches.csv'), 'utf8').split('\n')[1] : '';
  const cliLoss = Number(cliRow.split(',')[3]);
  check(cli.status === 0 && Math.abs(cliLoss - first.loss) <= 1e-4 * first.loss && (cli.stdout + cli.stderr).includes(`${first.data.nTrain} training images, ${first.data.nTest} test images`),
    `excite train --images on the unzipped export: the same split and first-batch loss (page ${first.loss.toFixed(6)}, program ${cliLoss}; ${cli.status === 0 ? 'ok' : cli.stderr.slice(0, 200)})`);
  await shoot('trained');
  const shapes = await page.evaluate(() => Object.fromEntries(Object.entries(window.excite.models).map(([k, m]) => [k, m.classes])));
  check(['CNN', 'CNN_SE'].every((k) => JSON.stringify(shapes[k]) === JSON.stringify(['disc', 'stripes', '方格'])), `the trained models have fc2 (3, 512) and the user's class names (${JSON.stringify(shapes)})`);

  // fine-tuning from the pretrained CIFAR-10 weights, convolution blocks frozen
  await page.click('[data-testid=use-pretrained]');
  await page.waitForFunction(() => Object.values(window.excite.models).every((m) => m.numClasses === 10), null, { timeout: 60000 });
  await page.click('#panel-train button[data-i18n="train.reset"]');
  await page.check('input[name=finetune]');
  await page.check('input[name=freeze-conv]');
  await page.fill('input[name=epochs]', String(FT_EPOCHS));
  await page.evaluate(() => { window.__epochs = []; window.__run = null; window.excite.trainWorker.addEventListener('message', (e) => { if (e.data.type === 'run') window.__run = e.data; }); });
  await page.click('[data-testid=train-start]');
  await page.waitForFunction(() => document.querySelector('#panel-train > div').dataset.state === 'done', null, { timeout: 1800000 });
  const ft = await page.evaluate(() => ({ epochs: window.__epochs, run: window.__run && { classes: window.__run.classes, freeze: window.__run.settings.freezeConv } }));
  const ftLast = (k) => ft.epochs.filter((e) => e.model === k).pop();
  console.log('  fine-tuned, test accuracy by epoch:', ['CNN', 'CNN_SE'].map((k) => `${k} ${ft.epochs.filter((e) => e.model === k).map((e) => (100 * e.testAcc).toFixed(0)).join(' ')}`).join('; '));
  check(ft.run && ft.run.freeze === true && JSON.stringify(ft.run.classes) === JSON.stringify(['disc', 'stripes', '方格']), `a fine-tuning run with frozen convolution blocks on the user's classes (${JSON.stringify(ft.run)})`);
  for (const k of ['CNN', 'CNN_SE']) check(ftLast(k) && ftLast(k).testAcc >= 0.9, `${k} fine-tuned from the CIFAR-10 weights (conv frozen, ${FT_EPOCHS} epochs): ≥ 90% (${ftLast(k) ? (100 * ftLast(k).testAcc).toFixed(1) : '–'}%)`);

  // checkpoints and resume: a run paused by the worker after batch 3, the page reloaded, the
  // saved run resumed on the same pictures to its end
  await page.click('#panel-train button[data-i18n="train.reset"]');
  await page.uncheck('input[name=finetune]');
  await page.fill('input[name=epochs]', '2');
  await page.evaluate(() => window.excite.trainWorker.postMessage({ type: 'settings', settings: { pauseAt: { epoch: 1, batch: 3 } } }));
  await page.click('[data-testid=train-start]');
  await page.waitForFunction(() => { const e = document.querySelector('#panel-train > div'); return e.dataset.workerState === 'paused' && e.dataset.pausedAtStep === '3'; }, null, { timeout: 600000 });
  await waitFor(() => page.evaluate(async () => ((await (await import('/web/js/run-store.mjs')).loadRun()) || {}).progress?.step === 3), { what: 'the paused run saved' });
  await page.reload();
  await ready();
  await page.waitForSelector('[data-testid=train-resume-saved]', { state: 'visible', timeout: 120000 });
  await page.evaluate(() => { window.__epochs = []; window.excite.trainWorker.addEventListener('message', (e) => { if (e.data.type === 'epoch') window.__epochs.push({ model: e.data.model, epoch: e.data.epoch }); }); });
  await page.click('[data-testid=train-resume-saved]');
  await page.waitForFunction(() => document.querySelector('#panel-train > div').dataset.state === 'done', null, { timeout: 1800000 });
  const resumed = await page.evaluate(() => ({ epochs: window.__epochs, names: Object.values(window.excite.models).map((m) => m.classes.join(',')) }));
  check(resumed.epochs.length === 4 && resumed.names.every((n) => n === 'disc,stripes,方格'), `a paused run on the user's set resumes after a reload and ends (${JSON.stringify(resumed)})`);

  await page.click('#tab-inspect');
  await page.waitForFunction(() => document.querySelector('#panel-inspect > div').dataset.rendered, null, { timeout: 120000 });
  const gal = await page.$$eval('#panel-inspect .gallery button span', (s) => [...new Set(s.map((x) => x.textContent))]);
  const opts = await page.$$eval('#panel-inspect select', (ss) => ss.map((s) => [...s.options].map((o) => o.textContent)).find((o) => o.includes('方格')) || []);
  check(gal.includes('方格') && gal.includes('disc'), `the Inspect gallery shows the user's test pictures (${gal.join(', ')})`);
  check(opts.length === 4 && opts.includes('disc') && opts.includes('stripes'), `the Grad-CAM class picker lists the user's classes (${opts.join(', ')})`);
  await page.click('#panel-inspect .gallery button');
  await shoot('inspect');

  await page.click('#tab-evaluate');
  await page.waitForFunction(() => document.querySelector('#panel-evaluate > div').dataset.evaluated, null, { timeout: 300000 });
  const heads = await page.$$eval('#panel-evaluate table.confusion thead th.colh', (h) => h.slice(0, 3).map((x) => x.textContent));
  check(JSON.stringify(heads) === JSON.stringify(['disc', 'stripes', '方格']), `Evaluate's confusion matrix lists the user's classes (${heads.join(', ')})`);

  console.log(`g. Chinese, accessibility (${elapsed()})`);
  await page.click('#tab-images');
  await page.click('.lang button[data-lang=zh]');
  await page.$eval('#error-dismiss', (b) => b.click());
  await addClass('方格', { refused: true });
  const zh = { title: await page.$eval(`${root} h2`, (h) => h.textContent), err: await errorText(), size: await page.textContent('[data-testid=ui-size]') };
  check(zh.title === '你的图片' && /已经有名为“方格”的类别/.test(zh.err) && /张图片/.test(zh.size), `in Chinese: the panel, its messages and the size line (“${zh.err}”)`);
  await shoot('data-zh');
  await page.click('.lang button[data-lang=en]');
  await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const v = r.violations.map((x) => `${x.id} (${x.nodes.length}: ${x.nodes[0].target})`);
  check(v.length === 0, `axe, Your images: ${v.length ? v.join('; ') : '0 violations'}`);
  check(log.foreign.length === 0, `no request to another origin (${log.foreign.length})`);
  check(log.errors.length === 0, `no console errors${log.errors.length ? ': ' + log.errors.slice(0, 3).join(' | ') : ''}`);
} catch (e) {
  console.log(`  FAIL ${e.stack || e}`);
  console.log('  error region:', await errorText().catch(() => '?'));
  await page.screenshot({ path: path.join(SHOTS, 'your-images-failure.png'), fullPage: true }).catch(() => {});
  check(false, 'the test ran to the end');
}
await browser.close();
await srv.stop();
console.log(failed() ? `your-images.spec: ${failed()} FAILED (${elapsed()})` : `your-images.spec: all passed (${elapsed()})`);
process.exit(failed() ? 1 : 0);
