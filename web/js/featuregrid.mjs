// featuregrid.mjs - C feature maps of one block as a grid of thumbnails on ONE shared colour
// scale (so channels can be compared), with a colour bar; a click (or Enter) on a channel
// shows it enlarged beside the grid.

import { drawMap, drawColorbar, range, formatValue } from './colormap.mjs';

// opts: { data: Float32Array(C*H*W), C, H, W, min?, max?, map?, label (colour-bar text),
//         labels?: (c) => string (per-channel caption), onPick?(c), t (translate) }
export function featureGrid(element, opts) {
  const { data, C, H, W, map = 'viridis', t = (k) => k } = opts;
  let { min, max } = opts;
  if (min === undefined || max === undefined) ({ min, max } = range(data));
  element.replaceChildren();
  element.classList.add('fgrid-wrap');
  const grid = document.createElement('div');
  grid.className = 'fgrid';
  // a group of toggle buttons (aria-pressed marks the channel shown large); not a list, whose
  // items could not be buttons
  grid.setAttribute('role', 'group');
  // fewer channels, bigger thumbnails
  grid.style.gridTemplateColumns = `repeat(auto-fill, minmax(${C <= 32 ? 60 : C <= 64 ? 46 : 38}px, 1fr))`;
  const zoom = document.createElement('figure');
  zoom.className = 'fgrid-zoom';
  const zc = document.createElement('canvas');
  zc.className = 'pixelated';
  zc.setAttribute('role', 'img');
  const zcap = document.createElement('figcaption');
  zoom.append(zc, zcap);
  const bar = document.createElement('canvas');
  bar.className = 'colorbar';
  const buttons = [];
  const pick = (c) => {
    drawMap(zc, data, H, W, { min, max, map, offset: c * H * W });
    const r = range(data.subarray(c * H * W, (c + 1) * H * W));
    zcap.textContent = (opts.labels ? opts.labels(c) : t('fm.channel', { c })) + ` · ${t('fm.range')} ${formatValue(r.min)} … ${formatValue(r.max)}`;
    zc.setAttribute('aria-label', zcap.textContent);
    buttons.forEach((b, i) => { b.setAttribute('aria-pressed', String(i === c)); b.tabIndex = i === c ? 0 : -1; });
    opts.onPick?.(c);
  };
  for (let c = 0; c < C; c++) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'fgrid-cell';
    const label = opts.labels ? opts.labels(c) : t('fm.channel', { c });
    b.setAttribute('aria-label', label);
    b.title = label;
    const cv = document.createElement('canvas');
    cv.className = 'pixelated';
    drawMap(cv, data, H, W, { min, max, map, offset: c * H * W });
    b.append(cv);
    b.addEventListener('click', () => pick(c));
    buttons.push(b);
    grid.append(b);
  }
  // one tab stop for the whole grid; arrow keys move between channels
  grid.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    const cols = Math.max(1, Math.round(grid.clientWidth / (buttons[0].offsetWidth || 40)));
    const d = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -C, End: C }[e.key];
    if (d === undefined) return;
    e.preventDefault();
    const j = Math.max(0, Math.min(C - 1, i + d));
    pick(j);
    buttons[j].focus();
  });
  const side = document.createElement('div');
  side.className = 'fgrid-side';
  side.append(zoom, bar);
  element.append(grid, side);
  pick(opts.initial ?? 0);
  requestAnimationFrame(() => drawColorbar(bar, { min, max, map, label: opts.label ?? t('fm.activation'), clipped: !!opts.clipped }));
  return { pick, min, max };
}

export const strings = {
  en: { 'fm.channel': 'channel {c}', 'fm.range': 'values', 'fm.activation': 'activation (shared scale)' },
  zh: { 'fm.channel': '通道 {c}', 'fm.range': '取值', 'fm.activation': '激活值（统一色标）' },
};
