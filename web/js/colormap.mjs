// colormap.mjs - the page's one kit for colour: perceptually uniform maps (viridis, inferno),
// a diverging map for signed values (coolwarm), scales (value -> colour), and drawing a float
// map on a canvas with its colour bar. Every panel, the feature grid and the lesson use it.
// The viridis/inferno polynomials are the CC0 degree-6 fits of matplotlib's maps (shadertoy
// WlfXRN); error below one 8-bit step.

import { el } from './dom.mjs';

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
export const cssColor = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

// Diverging blue - grey - red (Moreland's cool-warm end points) for signed values: the sign
// is the hue, the size is the distance from grey.
export const COOLWARM = [[59, 76, 192], [141, 176, 254], [221, 221, 221], [244, 154, 123], [180, 4, 38]];
export function coolwarm(t) {
  if (!(t >= 0)) t = 0; else if (t > 1) t = 1;
  const a = COOLWARM, x = t * (a.length - 1), i = Math.min(a.length - 2, Math.floor(x)), f = x - i;
  return [0, 1, 2].map((k) => Math.round(a[i][k] + (a[i + 1][k] - a[i][k]) * f));
}

// A scale maps a value to [r,g,b] over [min, max] of the values (or the given min/max);
// signed scales are symmetric around 0 and use coolwarm, others viridis unless map is given.
export function makeScale(values, { signed = false, min, max, map } = {}) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
  if (signed) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    lo = -m; hi = m;
  }
  if (min !== undefined) lo = min;
  if (max !== undefined) hi = max;
  if (hi <= lo) hi = lo + 1e-6;
  const fn = map || (signed ? coolwarm : viridis);
  return { min: lo, max: hi, signed, map: fn, color: (v) => fn((v - lo) / (hi - lo)) };
}

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
// CSS scales it up (image-rendering: pixelated). Colours from a makeScale() scale, or from a
// named map over [min, max] (default: the data's range). alpha: 0..255 for overlays.
export function drawMap(canvas, data, H, W, { min, max, map = 'viridis', offset = 0, alpha = 255, scale = null } = {}) {
  if (!scale && (min === undefined || max === undefined)) ({ min, max } = range(data.subarray ? data.subarray(offset, offset + H * W) : data));
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const g = canvas.getContext('2d');
  const img = g.createImageData(W, H);
  const l = LUTS[map] || LUTS.viridis;
  const span = max > min ? 255 / (max - min) : 0;
  for (let i = 0; i < H * W; i++) {
    const v = data[offset + i];
    if (scale) {
      const c = scale.color(v);
      img.data[i * 4] = c[0]; img.data[i * 4 + 1] = c[1]; img.data[i * 4 + 2] = c[2];
    } else {
      const k = Math.max(0, Math.min(255, Math.round((v - min) * span))) * 3;
      img.data[i * 4] = l[k]; img.data[i * 4 + 1] = l[k + 1]; img.data[i * 4 + 2] = l[k + 2];
    }
    img.data[i * 4 + 3] = alpha;
  }
  g.putImageData(img, 0, 0);
  return canvas;
}

// A canvas for a map: role=img with an accessible name.
export function mapCanvas(cls, label) {
  const cv = el('canvas', { class: 'anat-map ' + (cls || ''), role: 'img' });
  if (label) cv.setAttribute('aria-label', label);
  return cv;
}

// Tick labels of colour bars.
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

// A colour bar of a makeScale() scale as DOM: caption, gradient, min (0) max ticks.
export function scaleBar(scale, label) {
  const cv = el('canvas', { class: 'anat-cbar-canvas', role: 'img', 'aria-label': `${label}: ${fmt3(scale.min)} … ${fmt3(scale.max)}` });
  cv.width = 128; cv.height = 1;
  const g = cv.getContext('2d'), img = g.createImageData(128, 1);
  for (let i = 0; i < 128; i++) {
    const c = scale.map(i / 127);
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  g.putImageData(img, 0, 0);
  const ticks = el('div', { class: 'anat-cbar-ticks' }, el('span', { text: fmt3(scale.min) }));
  if (scale.signed) ticks.append(el('span', { text: '0' }));
  ticks.append(el('span', { text: fmt3(scale.max) }));
  return el('div', { class: 'anat-cbar' }, el('div', { class: 'anat-cbar-label', text: label }), cv, ticks);
}

// 3 significant digits (labels of exact values; the full float goes in data-value).
export function fmt3(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(2);
  return v.toPrecision(3);
}
