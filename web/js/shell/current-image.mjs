// current-image.mjs - the image every panel looks at: a test image, an upload or a camera
// frame, made into the 32x32 network input by the C core (images.mjs). Announces
// 'image-changed' on events.

import * as images from '../images.mjs';

// How the picture became the input, translated (gallery, square, crop).
export function imageNote(img, t) {
  if (img.source === 'gallery') return t(img.user ? 'img.note.user' : 'img.note.gallery');
  const c = img.crop;
  if (!c) return '';
  return c.w === c.h ? t('img.note.square', c) : t('img.note.crop', c);
}

// image service. ex(): the excite instance or null; testSet(n): data service's; errors: shown
// on a bad file; onChange(img) before the event (the models' analysis cache).
export function createCurrentImage({ events, urlState, t, ex, testSet, errors, onChange }) {
  let image = null, version = 0;
  return {
    current: () => image,
    retranslate() { if (image) image.note = imageNote(image, t); },
    // spec: { index } (test image), { file } (File/Blob) or { canvas, source, name }.
    async set(spec) {
      let img;
      if (spec.index !== undefined && spec.index !== null) {
        const ts = await testSet(Math.max(1000, spec.index + 1));
        const i = Math.max(0, Math.min(ts.n - 1, spec.index | 0));
        const bytes = ts.images.slice(i * 3072, (i + 1) * 3072);
        img = { bytes, source: 'gallery', user: ts.id === 'user', index: i, label: ts.labels[i], name: `test #${i}`, canvas: images.chwToCanvas(bytes), crop: null };
        urlState.set({ img: i });
      } else {
        // the core fits the picture (images.mjs): the same input as `excite predict`
        let r, name;
        try {
          if (!ex()) throw new Error('the WebAssembly module is not loaded');
          if (spec.file) { r = await images.pictureFromFile(spec.file, ex()); name = spec.file.name || 'pasted image'; }
          else { r = images.pictureFromCanvas(spec.canvas, ex()); name = spec.name || spec.source || 'camera'; }
        } catch (e) {
          errors.show(e);
          throw e;
        }
        img = { bytes: r.bytes, source: spec.source || 'upload', index: null, label: null, name, canvas: r.display, crop: r.crop, format: r.format, orientation: r.orientation };
        urlState.set({ img: null });
      }
      img.x = ex().normalize(img.bytes);
      img.version = ++version;
      img.note = imageNote(img, t);
      image = img;
      onChange(img);
      errors.clear();
      events.dispatchEvent(new CustomEvent('image-changed', { detail: { image: img } }));
      return img;
    },
  };
}
