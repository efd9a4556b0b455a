// images.mjs - turning a user's picture into the 32x32 input the networks see.
// Checks the bytes before decoding (type by magic number, pixel size from the header, so a
// 6000x6000 image is refused before it takes 144 MB), then centre-crops to a square and
// downsizes by repeated halving (area-like averaging), then to 32x32.
// Errors are thrown as Error with a code (message key) and vars for the translated text.

export const MAX_BYTES = 30 * 1024 * 1024;
export const MAX_PIXELS = 25e6;          // 25 megapixels: a 12 MP phone photo passes
export const MAX_SIDE = 10000;

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

// File/Blob -> ImageBitmap (or canvas), after the checks above.
export async function decodeFile(file) {
  if (!file || file.size === 0) throw new ImageError('img.err.empty');
  if (file.size > MAX_BYTES) throw new ImageError('img.err.bytes', { mb: (file.size / 1048576).toFixed(0), max: MAX_BYTES / 1048576 });
  const head = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  const s = sniff(head);
  if (!s) throw new ImageError('img.err.type');
  if (s.w !== null && (s.w * s.h > MAX_PIXELS || s.w > MAX_SIDE || s.h > MAX_SIDE))
    throw new ImageError('img.err.size', { w: s.w, h: s.h, mp: (s.w * s.h / 1e6).toFixed(0), max: MAX_PIXELS / 1e6 });
  if (s.w === 0 || s.h === 0) throw new ImageError('img.err.decode', { type: s.type });
  let bmp;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new ImageError('img.err.decode', { type: s.type });
  }
  if (bmp.width * bmp.height > MAX_PIXELS) { bmp.close?.(); throw new ImageError('img.err.size', { w: bmp.width, h: bmp.height, mp: (bmp.width * bmp.height / 1e6).toFixed(0), max: MAX_PIXELS / 1e6 }); }
  return bmp;
}

function canvas(w, h) {
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  return c;
}

// source (ImageBitmap, canvas, video) -> { bytes: Uint8Array(3072) CHW, small: canvas 32x32,
// display: canvas (max 256 px, the whole source with the crop square outlined), crop }.
export function toNetworkInput(src, w = src.width ?? src.videoWidth, h = src.height ?? src.videoHeight) {
  const side = Math.min(w, h);
  const sx = Math.floor((w - side) / 2), sy = Math.floor((h - side) / 2);
  // halve until close to 32, averaging 2x2 each time
  let cur = canvas(Math.min(side, 1024), Math.min(side, 1024));
  let g = cur.getContext('2d');
  g.imageSmoothingEnabled = true; g.imageSmoothingQuality = 'high';
  g.drawImage(src, sx, sy, side, side, 0, 0, cur.width, cur.height);
  while (cur.width >= 64) {
    const n = canvas(Math.max(32, Math.floor(cur.width / 2)), Math.max(32, Math.floor(cur.height / 2)));
    const ng = n.getContext('2d');
    ng.imageSmoothingEnabled = true; ng.imageSmoothingQuality = 'high';
    ng.drawImage(cur, 0, 0, n.width, n.height);
    cur = n;
  }
  const small = canvas(32, 32);
  const sg = small.getContext('2d', { willReadFrequently: true });
  sg.imageSmoothingEnabled = true; sg.imageSmoothingQuality = 'high';
  sg.drawImage(cur, 0, 0, 32, 32);
  const rgba = sg.getImageData(0, 0, 32, 32).data;
  const bytes = rgbaToCHW(rgba);
  // display copy with the crop square
  const scale = Math.min(1, 256 / Math.max(w, h));
  const dw = Math.max(1, Math.round(w * scale)), dh = Math.max(1, Math.round(h * scale));
  const display = canvas(dw, dh);
  const dg = display.getContext('2d');
  dg.imageSmoothingEnabled = true; dg.imageSmoothingQuality = 'high';
  dg.drawImage(src, 0, 0, dw, dh);
  if (w !== h) {
    dg.fillStyle = 'rgba(0,0,0,0.45)';
    const cx = sx * scale, cy = sy * scale, cs = side * scale;
    if (w > h) { dg.fillRect(0, 0, cx, dh); dg.fillRect(cx + cs, 0, dw - cx - cs, dh); }
    else { dg.fillRect(0, 0, dw, cy); dg.fillRect(0, cy + cs, dw, dh - cy - cs); }
    dg.strokeStyle = '#ffd54a'; dg.lineWidth = 2;
    dg.strokeRect(cx + 1, cy + 1, cs - 2, cs - 2);
  }
  return { bytes, small, display, crop: { w, h, side, sx, sy } };
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

export const MEAN = [0.4914, 0.4822, 0.4465];
export const STD = [0.2470, 0.2435, 0.2616];
export function normalize(bytes) {
  const x = new Float32Array(3072);
  for (let c = 0; c < 3; c++) for (let i = 0; i < 1024; i++) x[c * 1024 + i] = (bytes[c * 1024 + i] / 255 - MEAN[c]) / STD[c];
  return x;
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
    'img.note.square': '你的 {w}×{h} 图片被缩小到 32×32 像素——网络训练时用的尺寸。右图中的每个方块就是一个输入像素。',
    'img.note.crop': '你的 {w}×{h} 图片先裁成中间的正方形（{side}×{side}，黄框内；阴影部分不使用），再缩小到 32×32 像素——网络训练时用的尺寸。',
  },
};
