// user-set.mjs - the "Your images" data set without a DOM: the rules for class names, the
// order of the classes (labels), the ImageFolder layout of the .zip export (paths, the PNG of
// each 32x32 input) and the checks of an imported zip. Used by the page (user-store.mjs,
// panels/images*.mjs) and checked in Node by tests/user_set.test.mjs.
//
//   set = { classes: [{ id, name, images: [{ id, bytes: Uint8Array(3072) (3,32,32) }] }] }

import { zipSync, unzipSync, zlibSync, unzlibSync } from '../vendor/fflate.mjs';

export const MIN_CLASSES = 2, MAX_CLASSES = 10;
export const IMG = 3072;
export const MAX_NAME_BYTES = 63;           // UTF-8 bytes of a class name (the core's limit, c/classes.h)
export const MAX_ZIP_BYTES = 200 * 1024 * 1024;

// A class name as stored: Unicode NFC, surrounding spaces removed.
export const cleanName = (s) => String(s ?? '').normalize('NFC').trim();

// Why name cannot name a class among classes (except the one with id self), as
// { code, vars } (a message key of images-strings.mjs), or null when it can.
export function nameProblem(name, classes, self = null) {
  const n = cleanName(name);
  if (!n) return { code: 'ui.err.nameEmpty', vars: {} };
  if (new TextEncoder().encode(n).length > MAX_NAME_BYTES) return { code: 'ui.err.nameLong', vars: { max: MAX_NAME_BYTES } };
  if (/[/\\:*?"<>|\u0000-\u001f]/.test(n) || n === '.' || n === '..') return { code: 'ui.err.nameChars', vars: { name: n } };
  const lower = n.toLocaleLowerCase();
  if (classes.some((c) => c.id !== self && cleanName(c.name).toLocaleLowerCase() === lower)) return { code: 'ui.err.nameDup', vars: { name: n } };
  return null;
}

// Why one more class cannot be added, or null.
export const addClassProblem = (classes) => (classes.length >= MAX_CLASSES ? { code: 'ui.err.tooMany', vars: { max: MAX_CLASSES } } : null);

// Label order: class names sorted by code point, as torchvision's ImageFolder (Python's
// sorted() of the folder names) numbers them, so an export reads back with the same labels.
export const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
export const ordered = (classes) => [...classes].sort(byName);

// Why the set cannot be trained on yet, or null: 2..10 classes, each with pictures.
export function trainProblem(classes) {
  if (classes.length < MIN_CLASSES) return { code: 'ui.err.fewClasses', vars: { min: MIN_CLASSES } };
  if (classes.length > MAX_CLASSES) return { code: 'ui.err.tooMany', vars: { max: MAX_CLASSES } };
  const empty = classes.find((c) => c.images.length === 0);
  if (empty) return { code: 'ui.err.emptyClass', vars: { name: empty.name } };
  const one = classes.find((c) => c.images.length < 2);
  if (one) return { code: 'ui.err.onePicture', vars: { name: one.name } };
  return null;
}

// The file name of the n-th picture of a class (n from 0): numbered from 1 and zero-padded, so
// that name order is picture order (0001.png, 0002.png, ...), the order in which `excite train
// --images` reads a class's pictures (c/cli.h: sorted by file name in byte order).
export const pictureName = (n) => `${String(n + 1).padStart(4, '0')}.png`;

// ---- PNG of a 32x32 input (8-bit RGB, no filter) and back -------------------------------
const CRC = (() => { const t = new Uint32Array(256); for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; t[n] = c >>> 0; } return t; })();
function crc32(b) { let c = 0xffffffff; for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; }
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length), dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
// Uint8Array(3072) (3,32,32) -> PNG file bytes (deterministic: same input, same bytes)
export function inputToPng(chw) {
  const raw = new Uint8Array(32 * (1 + 96));
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
    const o = y * 97 + 1 + x * 3, i = y * 32 + x;
    raw[o] = chw[i]; raw[o + 1] = chw[1024 + i]; raw[o + 2] = chw[2048 + i];
  }
  const ihdr = new Uint8Array(13), dv = new DataView(ihdr.buffer);
  dv.setUint32(0, 32); dv.setUint32(4, 32); ihdr[8] = 8; ihdr[9] = 2;
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
// The PNG inputToPng wrote -> Uint8Array(3072), or null for any other PNG (decoded by the core).
export function pngToInput(png) {
  if (png.length < 45 || png[12] !== 0x49 || png[13] !== 0x48) return null;
  const dv = new DataView(png.buffer, png.byteOffset, png.length);
  if (dv.getUint32(16) !== 32 || dv.getUint32(20) !== 32 || png[24] !== 8 || png[25] !== 2 || png[28] !== 0) return null;
  const len = dv.getUint32(33);
  if (png[37] !== 0x49 || png[38] !== 0x44 || 41 + len > png.length) return null;
  let raw;
  try { raw = unzlibSync(png.subarray(41, 41 + len)); } catch { return null; }
  if (raw.length !== 32 * 97) return null;
  const chw = new Uint8Array(IMG);
  for (let y = 0; y < 32; y++) {
    if (raw[y * 97] !== 0) return null;
    for (let x = 0; x < 32; x++) { const o = y * 97 + 1 + x * 3, i = y * 32 + x; chw[i] = raw[o]; chw[1024 + i] = raw[o + 1]; chw[2048 + i] = raw[o + 2]; }
  }
  return chw;
}

// ---- zip export and import ------------------------------------------------------------
// set -> zip bytes: <class>/<n>.png for each class in label order.
export function exportZip(classes) {
  const files = {};
  for (const c of ordered(classes)) {
    files[`${c.name}/`] = new Uint8Array(0);
    c.images.forEach((im, n) => { files[`${c.name}/${pictureName(n)}`] = [inputToPng(im.bytes), { level: 0 }]; });
  }
  return zipSync(files, { level: 0, mtime: new Date('2000-01-01T00:00:00Z') });
}

// Why a member path of a zip is not inside its root, or null.
export function unsafePath(p) {
  if (p.startsWith('/') || p.startsWith('\\') || /^[a-zA-Z]:/.test(p)) return 'absolute';
  if (p.split(/[/\\]/).some((s) => s === '..')) return 'parent';
  return null;
}

// zip bytes -> { classes: [{ name, files: [{ path, bytes }] }] (class folders in label order,
// files in name order), skipped: [paths that are not pictures' places] }; throws an Error with
// .code / .vars (a message key) for a zip that is damaged, leaves its root, or has no usable
// layout. An optional single top folder holding the class folders is accepted.
export function readZip(bytes) {
  if (bytes.length > MAX_ZIP_BYTES) throw coded('ui.err.zipBig', { mb: Math.round(bytes.length / 1048576), max: MAX_ZIP_BYTES / 1048576 });
  let files;
  try { files = unzipSync(bytes); } catch (e) { throw coded('ui.err.zipBad', { msg: e.message || String(e) }); }
  const paths = Object.keys(files);
  const bad = paths.find(unsafePath);
  if (bad !== undefined) throw coded('ui.err.zipPath', { path: bad });
  let entries = paths.filter((p) => !p.endsWith('/') && !/(^|\/)(__MACOSX|\.[^/]*)(\/|$)/.test(p)).map((p) => ({ parts: p.split('/'), path: p }));
  const tops = new Set(entries.map((e) => e.parts[0]));
  if (tops.size === 1 && entries.every((e) => e.parts.length === 3)) entries = entries.map((e) => ({ ...e, parts: e.parts.slice(1) }));
  const byClass = new Map(), skipped = [];
  for (const e of entries) {
    if (e.parts.length !== 2) { skipped.push(e.path); continue; }
    const name = cleanName(e.parts[0]);
    if (!byClass.has(name)) byClass.set(name, []);
    byClass.get(name).push({ path: e.path, name: e.parts[1], bytes: files[e.path] });
  }
  const classes = [...byClass].map(([name, fs]) => ({ name, files: fs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) })).sort(byName);
  if (!classes.length) throw coded('ui.err.zipEmpty', {});
  return { classes, skipped };
}

function coded(code, vars) { const e = new Error(code); e.code = code; e.vars = vars; return e; }

// ---- the training arrays -------------------------------------------------------------
// classes (label order) and an index list [{ c, i }] -> { n, images, labels }
export function gather(classes, picks) {
  const images = new Uint8Array(picks.length * IMG), labels = new Uint8Array(picks.length);
  picks.forEach(({ c, i }, k) => { images.set(classes[c].images[i].bytes, k * IMG); labels[k] = c; });
  return { n: picks.length, images, labels };
}

// The seeded, stratified train/test split over the pictures in canonical order (class by class
// in label order, each class's pictures in their order) -> { train, test }: ascending indices.
// The core's (ex.splitImages, c/classes.h split_stratified), the split `excite train --images`
// makes with the same seed; the test fraction is the core's test_fraction setting.
export const testFraction = (ex) => ex.trainSettings.find((x) => x.name === 'test_fraction').default;
export function split(classes, { seed = 1, ex }) {
  const counts = classes.map((c) => c.images.length);
  const labels = new Uint8Array(counts.reduce((a, b) => a + b, 0));
  let o = 0;
  counts.forEach((n, c) => { labels.fill(c, o, o + n); o += n; });
  const r = ex.splitImages(labels, { classes: classes.map((c) => c.name), seed });
  return { train: Array.from(r.train), test: Array.from(r.test) };
}

// classes (label order) -> { train, test } arrays for the worker, and counts per class.
export function splitArrays(classes, opts) {
  const flat = classes.flatMap((c, ci) => c.images.map((_, i) => ({ c: ci, i })));
  const { train, test } = split(classes, opts);
  const tr = train.map((k) => flat[k]), te = test.map((k) => flat[k]);
  const nTest = classes.map((_, ci) => te.filter((p) => p.c === ci).length);
  return { train: gather(classes, tr), test: gather(classes, te),
    counts: classes.map((c, ci) => ({ name: c.name, train: c.images.length - nTest[ci], test: nTest[ci] })) };
}
