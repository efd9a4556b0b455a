// charts.mjs - Chart.js (web/vendor/chart.umd.js, loaded as a classic script) set up for
// live training curves: linear x axis, no animation, LTTB decimation, and redraws
// coalesced to one per animation frame, so thousands of points stay smooth.

export const COLORS = { CNN: '#0072B2', CNN_SE: '#D55E00' };   // Okabe-Ito blue / vermillion
export const MODEL_KINDS = ['CNN', 'CNN_SE'];
const MIN_REDRAW_MS = 250;   // a live chart redraws at most four times a second

function Chart() {
  if (!globalThis.Chart) throw new Error('Chart.js did not load (web/vendor/chart.umd.js)');
  return globalThis.Chart;
}

export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

function textColor() {
  return getComputedStyle(document.documentElement).getPropertyValue('--fg').trim() || '#222';
}
function gridColor() {
  return getComputedStyle(document.documentElement).getPropertyValue('--grid').trim() || '#ddd';
}

// datasets: [{ key, label, color, raw?: bool (thin, faint), dashed?: bool, stepped?: bool }]
export function lineChart(canvas, { datasets, xTitle = '', yTitle = '', yMin, yMax, legend = true, points = false, xInteger = false }) {
  const C = Chart();
  const chart = new C(canvas, {
    type: 'line',
    data: {
      datasets: datasets.map((d) => ({
        label: d.label,
        key: d.key,
        data: [],
        normalized: true,
        borderColor: d.raw ? alpha(d.color, 0.28) : d.color,
        backgroundColor: d.raw ? alpha(d.color, 0.28) : d.color,
        borderWidth: d.raw ? 1 : 2,
        borderDash: d.dashed ? [6, 4] : undefined,
        pointRadius: points ? 3 : 0,
        pointHoverRadius: 3,
        pointStyle: d.dashed ? 'rectRot' : 'circle',
        stepped: d.stepped ? 'after' : false,
        tension: 0,
        spanGaps: true,
      })),
    },
    options: {
      parsing: false,          // decimation needs it at chart level
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: { type: 'linear', suggestedMin: xInteger ? 1 : undefined, title: { display: !!xTitle, text: xTitle, color: textColor() }, ticks: { color: textColor(), maxTicksLimit: 8, precision: 0, stepSize: xInteger ? 1 : undefined }, grid: { color: gridColor() } },
        y: { min: yMin, max: yMax, title: { display: !!yTitle, text: yTitle, color: textColor() }, ticks: { color: textColor(), maxTicksLimit: 6 }, grid: { color: gridColor() } },
      },
      plugins: {
        legend: { display: legend, labels: { color: textColor(), boxWidth: 18, boxHeight: 2, font: { size: 11 } } },
        decimation: { enabled: true, algorithm: 'lttb', samples: 400, threshold: 600 },
        tooltip: { enabled: true },
      },
    },
  });
  return wrap(chart, canvas);
}

// The full series of every dataset lives here (series[key]); Chart.js gets a copy per redraw,
// which its decimation plugin may thin out: the chart never holds the only copy of a point.
function wrap(chart, canvas) {
  let pending = false, lastDraw = -Infinity;
  const series = Object.fromEntries(chart.data.datasets.map((d) => [d.key, []]));
  const counts = () => chart.data.datasets.map((d) => `${d.key}:${series[d.key].length}`).join(',');
  const api = {
    chart,
    push(key, x, y) {
      if (!series[key]) return;
      series[key].push({ x, y });
      api.schedule();
    },
    clear() {
      for (const k of Object.keys(series)) series[k] = [];
      api.schedule();
    },
    setLabels(labels, { xTitle, yTitle } = {}) {
      chart.data.datasets.forEach((d) => { if (labels[d.key] !== undefined) d.label = labels[d.key]; });
      if (xTitle !== undefined) chart.options.scales.x.title.text = xTitle;
      if (yTitle !== undefined) chart.options.scales.y.title.text = yTitle;
      api.schedule();
    },
    points(key) { return series[key] ? series[key].length : 0; },
    schedule() {
      canvas.dataset.points = counts();   // the point counts are current at once (tests read them); drawing waits for a frame
      if (pending) return;
      pending = true;
      // at most one redraw per MIN_REDRAW_MS: a redraw costs the main thread several ms, and
      // during a run on every core that time is taken from training
      const draw = () => requestAnimationFrame(() => {
        pending = false;
        lastDraw = performance.now();
        for (const d of chart.data.datasets) d.data = series[d.key].slice();
        chart.update('none');
      });
      const wait = lastDraw + MIN_REDRAW_MS - performance.now();
      if (wait > 0) setTimeout(draw, wait); else draw();
    },
    destroy() { chart.destroy(); },
  };
  canvas.dataset.points = counts();
  return api;
}

// Horizontal or vertical bar chart (static data); returns the Chart.
export function barChart(canvas, { labels, datasets, horizontal = false, min, max, title = '', legend = true }) {
  const C = Chart();
  return new C(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        [horizontal ? 'x' : 'y']: { min, max, title: { display: !!title, text: title, color: textColor() }, ticks: { color: textColor() }, grid: { color: gridColor() } },
        [horizontal ? 'y' : 'x']: { ticks: { color: textColor(), autoSkip: false }, grid: { display: false } },
      },
      plugins: { legend: { display: legend, labels: { color: textColor() } } },
    },
  });
}

// Exponential moving average with bias correction (as TensorBoard's smoothing).
export function smoother(beta = 0.9) {
  let m = 0, n = 0;
  return {
    next(v) { n++; m = beta * m + (1 - beta) * v; return m / (1 - Math.pow(beta, n)); },
    reset() { m = 0; n = 0; },
  };
}
