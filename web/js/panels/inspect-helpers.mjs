// inspect-helpers.mjs - the Inspect panel's arithmetic, without a DOM: the view it starts in
// (from the URL), the gallery's pages and arrow keys, the parts an embedded view shows, the SE
// channel order and the one colour scale of a block's feature maps. The panel (inspect.mjs,
// inspect-picker.mjs) draws what these compute.

import { range, quantile } from '../colormap.mjs';

export const KINDS = ['CNN', 'CNN_SE'];
export const SIZES = [32, 16, 8];        // feature-map side of blocks 1..3
export const PER_CLASS = 3;              // gallery pictures of each class on one page

// a probability as the panel writes it: 99.5 % and above without decimals
export const pct = (p) => `${(p * 100).toFixed(p >= 0.995 ? 0 : 1)}%`;

// The state a URL gives: model (CNN_SE unless ?model=CNN), Grad-CAM class (null: each model's
// top class) and block (0..2, default 2); out-of-range values take the default.
export function initialState(url) {
  const model = KINDS.includes(url.get('model')) ? url.get('model') : 'CNN_SE';
  let cls = url.getInt('cls', null);
  if (cls !== null && (cls < 0 || cls > 9)) cls = null;
  let block = url.getInt('block', 2);
  if (block < 0 || block > 2) block = 2;
  return { model, cls, block };
}

// Page `page` of the gallery: perClass test images of each class, classes in label order, as
// [{ index, cls }]. There are as many pages as the rarest class fills (at least one); the
// page number wraps around.
export function galleryPage(labels, n, page, perClass = PER_CLASS) {
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]].push(i);
  const pages = Math.max(1, Math.floor(Math.min(...byClass.map((a) => a.length)) / perClass));
  const p = page % pages;
  const out = [];
  for (let c = 0; c < 10; c++) {
    for (let j = 0; j < perClass; j++) {
      const index = byClass[c][p * perClass + j];
      if (index !== undefined) out.push({ index, cls: c });
    }
  }
  return out;
}

// The gallery button a key moves to from button i of `count`, laid out in `cols` columns
// (arrows, Home, End; clamped at the ends), or null for another key.
export function galleryKeyTarget(key, i, count, cols) {
  const d = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -count, End: count }[key];
  if (d === undefined) return null;
  return Math.max(0, Math.min(count - 1, i + d));
}

// The parts of ?view= that exist (names), in the order given; the left column holds the
// picker and the input, the right one the predictions and the maps.
export const LEFT_PARTS = ['pick', 'seen'];
export const RIGHT_PARTS = ['pred', 'gradcam', 'mean'];
export const viewParts = (view, names) => (view || '').split(',').filter((v) => names.includes(v));

// SE channels from the largest weight s to the smallest, and s's range and mean.
export function seOrder(s, C) {
  return Array.from({ length: C }, (_, i) => i).sort((a, c) => s[c] - s[a]);
}
export function seSummary(s, order) {
  const C = order.length;
  let sum = 0;
  for (let i = 0; i < C; i++) sum += s[i];
  return { min: s[order[C - 1]], max: s[order[0]], mean: sum / C };
}

// One scale for all channels of a block and both stages (SE only scales down): from the
// smallest activation after ReLU to its 99th percentile, so a single bright channel does not
// leave the others black.
export function activationScale(relu) {
  const { min } = range(relu);
  return { min, max: Math.max(quantile(relu, 0.99), min + 1e-6) };
}
