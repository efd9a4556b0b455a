// images.mjs - turning a user's picture into the 32x32 input the networks see, through the
// C core (c/image.h, via wasm/excite.mjs), so the page and `excite predict` make the same
// input of the same file. PNG and JPEG: the file's bytes go to ex.decodeImage (stb_image,
// the stored values without colour management, the JPEG EXIF orientation, centre crop, area
// average). GIF, WebP, BMP (which the core does not decode) and camera frames: the browser
// decodes without colour conversion and ex.fitPixels fits the pixels. The size limit is the
// core's (ex.imageMaxPixels), checked from the header before decoding.
// Errors are thrown as ImageError with a code (message key) and vars for the translated text.

export const MAX_BYTES = 30 * 1024 * 1024;   // the file is read into memory whole
export const MAX_SIDE = 16384;                // browser-decoded formats: the canvas limit

export class ImageError extends Error {
  constructor(code, vars = {}) { super(code); this.code = code; this.vars = vars; }
}

function u32be(b, o) { return ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3]; }
function u16be(b, o) { return (b[o] << 8) | b[o + 1]; }
function u16le(b, o) { return b[o] | (b[o + 1] << 8); }
function i32le(b, o) { return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24); }

// Format and pixel size from the first bytes; null size if the header does not say.
export function sniff(b) {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47)
    return { type: 'PNG', w: u32be(b, 16), h: u32be(b, 20) };
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    let o = 2;
    while (o + 9 < b.length) {
      if (b[o] !== 0xff) { o++; continue; }
      const m = b[o + 1];
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { o += 2; continue; }
      if (m === 0xff) { o++; continue; }
      const len = u16be(b, o + 2);
      if ((m >= 0xc0 && m <= 0xcf) && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
        return { type: 'JPEG', h: u16be(b, o + 5), w: u16be(b, o + 7) };
      o += 2 + len;
    }
    return { type: 'JPEG', w: null, h: null };
  }
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46)
    return { type: 'GIF', w: u16le(b, 6), h: u16le(b, 8) };
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d)
    return { type: 'BMP', w: Math.abs(i32le(b, 18)), h: Math.abs(i32le(b, 22)) };
  if (b.length >= 30 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
      b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) {
    const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
    if (chunk === 'VP8X') return { type: 'WebP', w: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), h: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
    if (chunk === 'VP8 ') return { type: 'WebP', w: u16le(b, 26) & 0x3fff, h: u16le(b, 28) & 0x3fff };
    if (chunk === 'VP8L') { const v = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24); return { type: 'WebP', w: (v & 0x3fff) + 1, h: ((v >> 14) & 0x3fff) + 1 }; }
    return { type: 'WebP', w: null, h: null };
  }
  return null;
}

const sizeError = (w, h, max) =>
  new ImageError('img.err.size', { w, h, mp: (w * h / 1e6).toFixed(0), max: max / 1e6 });

// File/Blob -> picture { bytes: Uint8Array(3072) (3,32,32), display: canvas (the whole
// upright picture, at most 256 px, the crop square outlined), crop: { w, h, side, sx, sy }
// (upright size and the centre square used), format, orientation }. ex: the loaded module.
export async function pictureFromFile(file, ex) {
  if (!file || file.size === 0) throw new ImageError('img.err.empty');
  if (file.size > MAX_BYTES) throw new ImageError('img.err.bytes', { mb: (file.size / 1048576).toFixed(0), max: MAX_BYTES / 1048576 });
  const max = ex.imageMaxPixels;
  const head = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  const s = sniff(head);
  if (!s) throw new ImageError('img.err.type');
  if (s.type === 'PNG' || s.type === 'JPEG') {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let pic;
    try {
      pic = ex.decodeImage(bytes);
    } catch (e) {
      if (e.code === 'size') throw sizeError(e.w, e.h, max);
      if (e.code === 'format') throw new ImageError('img.err.type');
      throw new ImageError('img.err.decode', { type: s.type });
    }
    return picture(pic);
  }
  if (s.w !== null && (s.w * s.h > max || s.w > MAX_SIDE || s.h > MAX_SIDE)) throw sizeError(s.w, s.h, max);
  if (s.w === 0 || s.h === 0) throw new ImageError('img.err.decode', { type: s.type });
  let bmp;
  try {
    bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new ImageError('img.err.decode', { type: s.type });
  }
  try {
    if (bmp.width * bmp.height > max || bmp.width > MAX_SIDE || bmp.height > MAX_SIDE) throw sizeError(bmp.width, bmp.height, max);
    return pictureFromCanvas(bmp, ex);
  } finally {
    bmp.close?.();
  }
}

// A canvas, ImageBitmap or video frame (camera) -> picture, as pictureFromFile.
export function pictureFromCanvas(src, ex) {
  const w = src.videoWidth || src.width, h = src.videoHeight || src.height;
  if (w * h > ex.imageMaxPixels) throw sizeError(w, h, ex.imageMaxPixels);
  let g;
  if (typeof HTMLCanvasElement !== 'undefined' && src instanceof HTMLCanvasElement) g = src.getContext('2d');
  else { g = canvas(w, h).getContext('2d', { willReadFrequently: true }); g.drawImage(src, 0, 0); }
  return picture(ex.fitPixels(g.getImageData(0, 0, w, h).data, w, h, 4));
}

function canvas(w, h) {
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  return c;
}

// The core's picture -> what the page keeps: the input bytes and the view with the crop.
function picture(pic) {
  const { width: w, height: h, crop: { side, sx, sy } } = pic;
  const dw = pic.view.width, dh = pic.view.height;
  const display = canvas(dw, dh);
  const dg = display.getContext('2d');
  dg.putImageData(new ImageData(pic.view.rgba, dw, dh), 0, 0);
  if (w !== h) {
    const scale = dw / w;
    dg.fillStyle = 'rgba(0,0,0,0.45)';
    const cx = sx * scale, cy = sy * scale, cs = side * scale;
    if (w > h) { dg.fillRect(0, 0, cx, dh); dg.fillRect(cx + cs, 0, dw - cx - cs, dh); }
    else { dg.fillRect(0, 0, dw, cy); dg.fillRect(0, cy + cs, dw, dh - cy - cs); }
    dg.strokeStyle = '#ffd54a'; dg.lineWidth = 2;
    dg.strokeRect(cx + 1, cy + 1, cs - 2, cs - 2);
  }
  return { bytes: pic.input, display, crop: { w, h, side, sx, sy }, format: pic.format, orientation: pic.orientation };
}

export function rgbaToCHW(rgba) {
  const out = new Uint8Array(3072);
  for (let i = 0; i < 1024; i++) {
    out[i] = rgba[i * 4]; out[1024 + i] = rgba[i * 4 + 1]; out[2048 + i] = rgba[i * 4 + 2];
  }
  return out;
}

// (3,32,32) bytes -> 32x32 canvas
export function chwToCanvas(bytes, offset = 0, c = canvas(32, 32)) {
  c.width = 32; c.height = 32;
  const g = c.getContext('2d');
  const img = g.createImageData(32, 32);
  for (let i = 0; i < 1024; i++) {
    img.data[i * 4] = bytes[offset + i];
    img.data[i * 4 + 1] = bytes[offset + 1024 + i];
    img.data[i * 4 + 2] = bytes[offset + 2048 + i];
    img.data[i * 4 + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return c;
}

export const strings = {
  en: {
    'img.err.empty': 'The file is empty (0 bytes).',
    'img.err.bytes': 'The file is too big ({mb} MB; the limit is {max} MB).',
    'img.err.type': 'This file is not a picture the page can read (PNG, JPEG, GIF, WebP or BMP).',
    'img.err.size': 'The picture is too large ({w}×{h} pixels, {mp} megapixels; the limit is {max} megapixels). Please shrink it first.',
    'img.err.decode': 'The file looks like a {type} picture but could not be decoded (damaged or incomplete?).',
    'img.err.webcam': 'The camera could not be opened: {msg}',
    'img.note.gallery': 'A CIFAR-10 test image: already 32×32, shown as it is.',
    'img.note.user': 'One of your test pictures, as stored: its 32×32 input.',
    'img.note.square': 'Your {w}×{h} picture was scaled down to 32×32 pixels, the size the networks were trained on. Each pixel on the right is one input pixel.',
    'img.note.crop': 'Your {w}×{h} picture was cropped to the centre square ({side}×{side}, outlined; the shaded parts are not used) and scaled down to 32×32 pixels, the size the networks were trained on.',
  },
  zh: {
    'img.err.empty': '文件是空的（0 字节）。',
    'img.err.bytes': '文件太大（{mb} MB；上限是 {max} MB）。',
    'img.err.type': '这个文件不是本页能读取的图片（PNG、JPEG、GIF、WebP 或 BMP）。',
    'img.err.size': '图片太大（{w}×{h} 像素，{mp} 百万像素；上限是 {max} 百万像素）。请先缩小。',
    'img.err.decode': '文件看起来是 {type} 图片，但无法解码（可能已损坏或不完整）。',
    'img.err.webcam': '无法打开摄像头：{msg}',
    'img.note.gallery': 'CIFAR-10 测试图片：本来就是 32×32，按原样显示。',
    'img.note.user': '你的一张测试图片，按存储的样子显示：它的 32×32 输入。',
    'img.note.square': '你的 {w}×{h} 图片被缩小到 32×32 像素——网络训练时用的尺寸。右图中的每个方块就是一个输入像素。',
    'img.note.crop': '你的 {w}×{h} 图片先裁成中间的正方形（{side}×{side}，黄框内；阴影部分不使用），再缩小到 32×32 像素——网络训练时用的尺寸。',
  },
};
