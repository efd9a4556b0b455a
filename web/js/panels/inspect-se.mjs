// inspect-se.mjs - the Inspect panel's card of the SE channel weights of CNN_SE: the weights s
// of one block as bars from the largest to the smallest, their range and mean, and the four
// channels the block keeps most and damps most, after scaling, on one colour scale.

import { drawMap, drawColorbar } from '../colormap.mjs';
import { COLORS } from '../charts.mjs';
import { el } from '../dom.mjs';
import { seOrder, seSummary, activationScale } from './inspect-helpers.mjs';

// { card, draw(block) } with block one block of an Analysis of CNN_SE; blockControl is the
// labelled block <select> the panel fills and listens to.
export function seWeightsCard(t, blockControl) {
  const seChart = el('canvas', { class: 'se-chart', role: 'img' });
  const seStats = el('p', { class: 'small' });
  const seTop = el('div', { class: 'se-maps' });
  const seBottom = el('div', { class: 'se-maps' });
  const seBar = el('canvas', { class: 'colorbar' });
  const seCard = el('div', { class: 'card', testid: 'se-weights' }, el('h2', { i18n: 'inspect.se' }),
    el('div', { class: 'row' }, blockControl),
    el('p', { class: 'caption', i18n: 'inspect.se.caption' }),
    el('div', { class: 'se-wrap' }, el('div', {}, seChart, seStats),
      el('div', {}, el('h3', {}, el('span', { class: 'sw se-top' }), el('span', { i18n: 'inspect.se.top' })), seTop, el('h3', {}, el('span', { class: 'sw se-bottom' }), el('span', { i18n: 'inspect.se.bottom' })), seBottom, seBar)));

  function draw(b) {
    const sv = b.seView;
    const C = sv.C, s = sv.s;
    const order = seOrder(s, C);
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(200, seChart.clientWidth || 300) * dpr, h = 200 * dpr;
    seChart.width = w; seChart.height = h;
    const g = seChart.getContext('2d');
    const fg = getComputedStyle(document.documentElement).getPropertyValue('--fg') || '#222';
    g.clearRect(0, 0, w, h);
    const L = 46 * dpr, B = 22 * dpr, T = 8 * dpr, R = 6 * dpr;
    const pw = w - L - R, ph = h - T - B;
    g.font = `${11 * dpr}px system-ui, sans-serif`;
    g.fillStyle = fg; g.strokeStyle = '#ccc'; g.lineWidth = 1;
    for (const v of [0, 0.5, 1]) {
      const y = T + ph * (1 - v);
      g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
      g.textAlign = 'right'; g.textBaseline = 'middle'; g.fillText(v.toFixed(1), L - 4 * dpr, y);
    }
    const bw = pw / C;
    order.forEach((c, r) => {
      const top = r < 4, bottom = r >= C - 4;
      g.fillStyle = top ? '#1b7837' : bottom ? '#762a83' : COLORS.CNN_SE;
      const bh = ph * s[c];
      g.fillRect(L + r * bw + bw * 0.1, T + ph - bh, Math.max(1, bw * 0.8), bh);
    });
    g.fillStyle = fg; g.textAlign = 'center'; g.textBaseline = 'top';
    g.fillText(t('inspect.se.axis'), L + pw / 2, T + ph + 5 * dpr);
    g.save(); g.translate(9 * dpr, T + ph / 2); g.rotate(-Math.PI / 2); g.textBaseline = 'middle'; g.fillText('s', 0, 0); g.restore();
    const sum = seSummary(s, order);
    seStats.textContent = t('inspect.se.stats', { min: sum.min.toFixed(3), max: sum.max.toFixed(3), mean: sum.mean.toFixed(3) });
    seChart.setAttribute('aria-label', `${t('inspect.se')}: ${seStats.textContent}`);
    // maps of the extreme channels, after scaling, on one scale
    const data = b.se, HW = b.H * b.W;
    const { min, max } = activationScale(b.relu);
    const fill = (box, chans) => {
      box.replaceChildren();
      for (const c of chans) {
        const cv = el('canvas', { class: 'pixelated', role: 'img' });
        drawMap(cv, data, b.H, b.W, { min, max, offset: c * HW });
        const cap = t('inspect.se.ch', { c, s: s[c].toFixed(2) });
        cv.setAttribute('aria-label', cap);
        box.append(el('figure', {}, cv, el('figcaption', { text: cap })));
      }
    };
    fill(seTop, order.slice(0, 4));
    fill(seBottom, order.slice(-4).reverse());
    drawColorbar(seBar, { min, max, map: 'viridis', label: t('fm.activation'), clipped: true });
    seCard.dataset.drawn = String(C);
  }
  return { card: seCard, draw };
}
