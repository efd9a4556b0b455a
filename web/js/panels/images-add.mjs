// images-add.mjs - where the "Your images" panel's pictures come from: files (picker, paste),
// dropped files and folders (webkitGetAsEntry, read recursively), and camera bursts (N
// snapshots per second while a button is held). Every picture becomes its 32x32 input through
// images.mjs (the core's pipeline, as uploads do); the original is dropped at once.

import * as images from '../images.mjs';
import { el } from '../dom.mjs';

const REASON = { 'img.err.type': 'ui.reason.type', 'img.err.empty': 'ui.reason.empty', 'img.err.size': 'ui.reason.size', 'img.err.bytes': 'ui.reason.bytes', 'img.err.decode': 'ui.reason.decode' };

// files: [File] -> { inputs: [Uint8Array(3072)], skipped: [{ name, reason (message key) }] }
export async function inputsFromFiles(files, ex) {
  const inputs = [], skipped = [];
  for (const f of files) {
    try { inputs.push((await images.pictureFromFile(f, ex)).bytes); }
    catch (e) { skipped.push({ name: f.webkitRelativePath || f.relPath || f.name || '?', reason: REASON[e.code] || 'ui.reason.decode' }); }
  }
  return { inputs, skipped };
}

// The files of a drop: plain files, and every file inside dropped folders (any depth).
export async function filesOfDrop(dataTransfer) {
  const entries = [...(dataTransfer.items || [])].map((it) => it.webkitGetAsEntry && it.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) return [...(dataTransfer.files || [])];
  const out = [];
  const fileOf = (entry) => new Promise((resolve) => entry.file((f) => { f.relPath = entry.fullPath.replace(/^\//, ''); resolve(f); }, () => resolve(null)));
  const readAll = (reader) => new Promise((resolve) => {
    const all = [];
    const next = () => reader.readEntries((batch) => { if (!batch.length) resolve(all); else { all.push(...batch); next(); } }, () => resolve(all));
    next();
  });
  async function walk(entry) {
    if (entry.isFile) { const f = await fileOf(entry); if (f) out.push(f); }
    else if (entry.isDirectory) for (const e of await readAll(entry.createReader())) await walk(e);
  }
  for (const e of entries) await walk(e);
  return out;
}

// The translated list of skipped files, e.g. "notes.txt (not a picture), a.png (empty)".
export const skippedText = (skipped, t) => skipped.map((s) => `${s.name} (${t(s.reason)})`).join(', ');

// Camera card: a video, front/back choice, rate, and a button that takes snapshots while it
// is held (pointer or Space/Enter). onSnap(bytes) stores one input and resolves; count shown.
// -> { card, close(), relabel() }
export function cameraCard({ t, ex, onSnap, onError, targetName }) {
  const video = el('video', { playsinline: '', muted: '', autoplay: '', testid: 'ui-video' });
  video.muted = true;
  const facing = el('select', { id: 'ui-facing', testid: 'ui-facing' });
  const rate = el('input', { type: 'number', id: 'ui-rate', testid: 'ui-rate', min: '1', max: '10', step: '1', value: '5' });
  const openB = el('button', { type: 'button', class: 'secondary', testid: 'ui-camera-open' });
  const holdB = el('button', { type: 'button', testid: 'ui-hold' });
  const count = el('p', { class: 'caption', role: 'status', testid: 'ui-burst-count' });
  const facingL = el('label', { for: 'ui-facing' }), rateL = el('label', { for: 'ui-rate' });
  const live = el('div', { class: 'webcam' }, video, el('div', { class: 'row' }, holdB));
  live.hidden = true;
  const card = el('div', { class: 'ui-camera', testid: 'ui-camera' }, el('div', { class: 'row' }, facingL, facing, rateL, rate, openB), live, count);
  let stream = null, timer = 0, n = 0, busy = Promise.resolve();

  function relabel() {
    facingL.textContent = t('ui.camera.facing'); rateL.textContent = t('ui.camera.rate');
    const v = facing.value || 'user';
    facing.replaceChildren(...['user', 'environment'].map((f) => el('option', { value: f, text: t(`ui.camera.${f}`) })));
    facing.value = v;
    openB.textContent = t(stream ? 'ui.camera.close' : 'ui.camera.open');
    holdB.textContent = t('ui.camera.hold');
  }
  async function open() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: facing.value, width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      video.srcObject = stream;
      await video.play();
      live.hidden = false;
    } catch (e) { stream = null; onError({ code: 'ui.err.camera', vars: { msg: e.message || e.name || String(e) } }); }
    relabel();
  }
  function close() {
    stop();
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null; video.srcObject = null; live.hidden = true;
    relabel();
  }
  function snap() {
    if (!video.videoWidth) return;
    let bytes;
    try { bytes = images.pictureFromCanvas(video, ex()).bytes; } catch (e) { onError(e); stop(); return; }
    busy = busy.then(() => onSnap(bytes)).then(() => { n++; count.textContent = t('ui.camera.count', { n, name: targetName() }); count.dataset.n = String(n); },
      (e) => { stop(); onError(e); });
  }
  function start() {
    if (timer || !stream) return;
    n = 0;
    const hz = Math.max(1, Math.min(10, Number(rate.value) || 5));
    snap();
    timer = setInterval(snap, 1000 / hz);
    holdB.setAttribute('aria-pressed', 'true');
    card.dataset.recording = 'true';
  }
  // data-recording: 'true' while held, 'false' once the last snapshot is stored
  function stop() {
    clearInterval(timer); timer = 0; holdB.setAttribute('aria-pressed', 'false');
    busy.then(() => { if (!timer) card.dataset.recording = 'false'; });
  }
  openB.addEventListener('click', () => (stream ? close() : open()));
  facing.addEventListener('change', () => { if (stream) { close(); open(); } });
  holdB.addEventListener('pointerdown', (e) => { holdB.setPointerCapture?.(e.pointerId); start(); });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture']) holdB.addEventListener(ev, stop);
  holdB.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); start(); } });
  holdB.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') stop(); });
  holdB.setAttribute('aria-pressed', 'false');
  relabel();
  return { card, close, relabel };
}
