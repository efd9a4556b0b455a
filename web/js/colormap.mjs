// colormap.mjs - perceptually uniform colour maps (viridis, inferno) and the drawing helpers
// that put a float map on a canvas with a colour bar. The polynomials are the CC0 degree-6
// fits of matplotlib's maps (shadertoy WlfXRN); error below one 8-bit step.

const VIRIDIS = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];
const INFERNO = [
  [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
  [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
  [11.60249308247187, -3.972853965665698, -15.9423941062914],
  [-41.70399613139459, 17.43639888205313, 44.35414519872813],
  [77.162935699427, -33.40235894210092, -81.80730925738993],
  [-71.31942824499214, 32.62606426397723, 73.20951985803202],
  [25.13112622477341, -12.24266895238567, -23.07032500287172],
];

function lut(coef) {
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    for (let k = 0; k < 3; k++) {
      let v = coef[6][k];
      for (let j = 5; j >= 0; j--) v = coef[j][k] + t * v;
      out[i * 3 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}
const LUTS = { viridis: lut(VIRIDIS), inferno: lut(INFERNO) };

function rgb(name, t) {
  const l = LUTS[name] || LUTS.viridis;
  const i = Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0) * 255))) * 3;
  return [l[i], l[i + 1], l[i + 2]];
}
export const viridis = (t) => rgb('viridis', t);
export const inferno = (t) => rgb('inferno', t);
export const css = (name, t) => { const [r, g, b] = rgb(name, t); return `rgb(${r},${g},${b})`; };

// Top of a colour scale that one outlier cannot flatten: the q-quantile of the values
// (values above it get the top colour; the colour bar then says "≥ max").
export function quantile(data, q = 0.99) {
  if (!data.length) return 0;
  const step = Math.max(1, Math.floor(data.length / 20000));
  const a = [];
  for (let i = 0; i < data.length; i += step) a.push(data[i]);
  a.sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))];
}

export function range(data) {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) { const v = data[i]; if (v < min) min = v; if (v > max) max = v; }
  if (!Number.isFinite(min)) return { min: 0, max: 1 };
  return { min, max };
}

// Paint data (H,W) (or a sub-array at offset) into an ImageData-sized canvas of H x W pixels;
// CSS scales it up (image-rendering: pixelated). alpha: 0..255 for overlays.
export function drawMap(canvas, data, H, W, { min, max, map = 'viridis', offset = 0, alpha = 255 } = {}) {
  if (min === undefined || max === undefined) ({ min, max } = range(data.subarray ? data.subarray(offset, offset + H * W) : data));
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const g = canvas.getContext('2d');
  const img = g.createImageData(W, H);
  const l = LUTS[map] || LUTS.viridis;
  const span = max > min ? 255 / (max - min) : 0;
  for (let i = 0; i < H * W; i++) {
    const v = data[offset + i];
    const k = Math.max(0, Math.min(255, Math.round((v - min) * span))) * 3;
    img.data[i * 4] = l[k]; img.data[i * 4 + 1] = l[k + 1]; img.data[i * 4 + 2] = l[k + 2];
    img.data[i * 4 + 3] = alpha;
  }
  g.putImageData(img, 0, 0);
  return canvas;
}

function fmt(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.01) return v.toFixed(2);
  return v.toExponential(1);
}
export { fmt as formatValue };

// A horizontal colour bar with min/mid/max ticks and a label, drawn on a canvas (CSS sized).
export function drawColorbar(canvas, { min = 0, max = 1, map = 'viridis', label = '', clipped = false } = {}) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(120, Math.round((canvas.clientWidth || 240) * dpr));
  const h = Math.round(44 * dpr);
  canvas.width = w; canvas.height = h;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, w, h);
  const pad = 6 * dpr, barH = 12 * dpr;
  for (let x = 0; x < w - 2 * pad; x++) {
    g.fillStyle = css(map, x / (w - 2 * pad - 1));
    g.fillRect(pad + x, 0, 1, barH);
  }
  g.strokeStyle = '#555'; g.lineWidth = 1;
  g.strokeRect(pad + 0.5, 0.5, w - 2 * pad - 1, barH - 1);
  g.fillStyle = getComputedStyle(canvas).color || '#222';
  g.font = `${11 * dpr}px system-ui, sans-serif`;
  g.textBaseline = 'top';
  g.textAlign = 'left'; g.fillText(fmt(min), pad, barH + 3 * dpr);
  g.textAlign = 'right'; g.fillText((clipped ? '≥ ' : '') + fmt(max), w - pad, barH + 3 * dpr);
  g.textAlign = 'center'; g.fillText(label, w / 2, barH + 17 * dpr);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${label}: ${fmt(min)} … ${clipped ? '≥ ' : ''}${fmt(max)}`);
  return canvas;
}

export function colorbarElement(opts) {
  const c = document.createElement('canvas');
  c.className = 'colorbar';
  requestAnimationFrame(() => drawColorbar(c, opts));
  return c;
}
