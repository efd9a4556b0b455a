// inspect-picker.mjs - the Inspect panel's image picker: a gallery of CIFAR-10 test images
// (PER_CLASS per class, "Other test images" pages on), upload, drag and drop, paste and the
// camera. Every choice goes to services.image.set; the panel redraws on 'image-changed'.

import { chwToCanvas } from '../images.mjs';
import { el } from '../dom.mjs';
import { galleryPage, galleryKeyTarget } from './inspect-helpers.mjs';

// { card, renderGallery(), markCurrent(img), loaded() }
export function imagePicker(services) {
  const t = services.i18n.t;
  const gallery = el('div', { class: 'gallery', role: 'group' });
  gallery.dataset.i18nAria = 'inspect.gallery';
  const galleryMsg = el('p', { class: 'caption' });
  const galleryCap = el('p', { class: 'caption', i18n: 'inspect.gallery' });
  const moreB = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.more' });
  const upload = el('input', { type: 'file', accept: 'image/*', testid: 'upload-input', id: 'upload-input', class: 'visually-hidden' });
  const uploadL = el('label', { class: 'button', for: 'upload-input' }, el('span', { i18n: 'inspect.upload' }));
  const camB = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.camera' });
  const drop = el('div', { class: 'dropzone' }, el('span', { i18n: 'inspect.drop' }));
  const video = el('video', { playsinline: '', muted: '' });
  const snapB = el('button', { type: 'button', i18n: 'inspect.snap' });
  const camCancel = el('button', { type: 'button', class: 'secondary', i18n: 'inspect.cancel' });
  const cam = el('div', { class: 'webcam' }, video, el('div', { class: 'row' }, snapB, camCancel));
  cam.hidden = true;
  const card = el('div', { class: 'card' }, el('h2', { i18n: 'inspect.pick' }),
    galleryCap, gallery, galleryMsg,
    el('div', { class: 'row' }, moreB, upload, uploadL, camB), drop, cam);

  // ---- gallery
  let testSet = null, page = 0;
  async function renderGallery() {
    try {
      testSet = await services.data.testSet(1000);
    } catch (e) {
      gallery.replaceChildren();
      galleryMsg.textContent = t('inspect.noData', { msg: e.message });
      return;
    }
    galleryMsg.textContent = '';
    // the user's own test pictures or CIFAR-10's
    const key = testSet.id === 'user' ? 'inspect.galleryUser' : 'inspect.gallery';
    galleryCap.dataset.i18n = key; galleryCap.textContent = t(key);
    gallery.dataset.i18nAria = key; gallery.setAttribute('aria-label', t(key));
    gallery.replaceChildren();
    for (const { index: idx, cls: c } of galleryPage(testSet.labels, testSet.n, page)) {
      const b = el('button', { type: 'button' });
      b.dataset.index = String(idx);
      const cv = chwToCanvas(testSet.images, idx * 3072);
      cv.className = 'pixelated';
      const name = services.i18n.className(c);
      b.setAttribute('aria-label', `${name}, #${idx}`);
      b.title = `${name} (#${idx})`;
      b.append(cv, el('span', { text: name }));
      b.setAttribute('aria-pressed', String(services.image.current() && services.image.current().index === idx));
      b.addEventListener('click', () => services.image.set({ index: idx }).catch((e) => services.errors.show(e)));
      gallery.append(b);
    }
    roving();
  }
  // the gallery is one tab stop; arrow keys move between pictures, Enter/Space picks one
  function roving() {
    const bs = [...gallery.children];
    const cur = Math.max(0, bs.findIndex((b) => b.getAttribute('aria-pressed') === 'true'));
    bs.forEach((b, i) => { b.tabIndex = i === cur ? 0 : -1; });
  }
  gallery.addEventListener('keydown', (e) => {
    const bs = [...gallery.children];
    const i = bs.indexOf(document.activeElement);
    if (i < 0) return;
    const cols = Math.max(1, Math.round(gallery.clientWidth / (bs[0].offsetWidth || 50)));
    const j = galleryKeyTarget(e.key, i, bs.length, cols);
    if (j === null) return;
    e.preventDefault();
    bs.forEach((b, k) => { b.tabIndex = k === j ? 0 : -1; });
    bs[j].focus();
  });
  moreB.addEventListener('click', () => { page++; renderGallery(); });

  // the picture in use is pressed (and the tab stop, unless the focus is in the gallery)
  function markCurrent(img) {
    for (const b of gallery.children) b.setAttribute('aria-pressed', String(img.index !== null && b.dataset.index === String(img.index)));
    if (!gallery.contains(document.activeElement)) roving();
  }

  // ---- upload, drop, camera
  upload.addEventListener('change', () => {
    const f = upload.files && upload.files[0];
    upload.value = '';
    if (f) services.image.set({ file: f, source: 'upload' }).catch(() => {});
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault(); drop.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) services.image.set({ file: f, source: 'upload' }).catch(() => {});
  });
  let stream = null;
  const stopCam = () => { if (stream) for (const tr of stream.getTracks()) tr.stop(); stream = null; video.srcObject = null; cam.hidden = true; };
  camB.addEventListener('click', async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new Error('not supported by this browser');
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream; cam.hidden = false; await video.play(); snapB.focus();
    } catch (e) { stopCam(); services.errors.show(t('img.err.webcam', { msg: e.message || e.name })); }
  });
  snapB.addEventListener('click', () => {
    const c = document.createElement('canvas');
    c.width = video.videoWidth; c.height = video.videoHeight;
    c.getContext('2d').drawImage(video, 0, 0);
    stopCam();
    services.image.set({ canvas: c, source: 'webcam', name: 'camera' }).catch(() => {});
  });
  camCancel.addEventListener('click', stopCam);

  return { card, renderGallery, markCurrent, loaded: () => testSet !== null };
}
