// Small SVG charts, drawn here so no library is needed. Every data point
// is one <circle class="pt"> (or <rect class="pt"> for bars), so tests and
// people can count them; each has a <title> for a tooltip.

import { esc } from './fmt.js';

const W = 640, H = 230, L = 56, R = 12, T = 24, B = 34;
const COLORS = ['#2f6fde', '#d9822b', '#2e9d5b', '#b04ad6', '#c23b3b', '#1b9aaa', '#7a6f2b', '#555'];

// scale picks the y axis for values up to max: a nice step (1, 2 or 5 ×
// 10^k; whole numbers only when integer), about four steps up to the first
// multiple of it at or above max. It returns the ticks, bottom to top.
export function scale(max, integer) {
  if (!(max > 0)) max = 1;
  let step = niceStep(max / 4);
  if (integer) step = Math.max(1, Math.round(step));
  const top = step * Math.ceil(max / step - 1e-9);
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { top, step, ticks };
}

function niceStep(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

// decimalsFor is how many decimals show step without rounding it away.
function decimalsFor(step) {
  let d = 0;
  while (d < 6 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-6) d++;
  return d;
}

// groups writes n with thousands separators and d decimals, never in
// scientific notation.
function grouped(n, d) {
  const [int, frac] = n.toFixed(d).split('.');
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? '.' + frac : '');
}

// countAxis formats whole counts.
export function countAxis() {
  return { integer: true, unit: '', fmt: (v) => grouped(v, 0) };
}

// amountAxis returns the unit amounts in uqc are shown in for a chart whose
// largest value is maxUqc: QC from 1 QC up, uqc below (so 204 uqc never
// reads 0.0002 QC or 2e-4), and the formatter of its ticks.
export function amountAxis(maxUqc) {
  if (maxUqc >= 1e6) return { integer: false, unit: 'QC', div: 1e6, fmt: (v, step) => grouped(v, decimalsFor(step)) };
  return { integer: true, unit: 'uqc', div: 1, fmt: (v) => grouped(v, 0) };
}

function axes(xmin, xmax, sc, fmt, xlabel, ylabel) {
  let s = '';
  for (const v of sc.ticks) {
    const y = T + (H - T - B) * (1 - v / sc.top);
    s += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y}" y2="${y}"/>`;
    s += `<text class="tick" x="${L - 6}" y="${y + 4}" text-anchor="end">${esc(fmt(v, sc.step))}</text>`;
  }
  const ticks = xmax === xmin ? [xmin] : [xmin, Math.round((xmin + xmax) / 2), xmax];
  for (const v of [...new Set(ticks)]) {
    const x = L + (xmax === xmin ? (W - L - R) / 2 : ((W - L - R) * (v - xmin)) / (xmax - xmin));
    s += `<text class="tick" x="${x}" y="${H - B + 16}" text-anchor="middle">${esc(String(v))}</text>`;
  }
  s += `<text class="axis-label" x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">${esc(xlabel)}</text>`;
  s += `<text class="axis-label" x="4" y="12" text-anchor="start">${esc(ylabel)}</text>`;
  return s;
}

// yAxis resolves opts.axis ('count', the default, or 'uqc') for values up
// to max: what to divide values by, the ticks, their format and the label.
function yAxis(opts, max) {
  const a = opts.axis === 'uqc' ? amountAxis(max) : countAxis();
  const div = a.div || 1;
  const sc = scale(max / div, a.integer);
  const label = a.unit ? `${opts.ylabel || ''} (${a.unit})`.trim() : opts.ylabel || '';
  return { div, sc, fmt: a.fmt, label };
}

// lineChart draws series [{name, points: [{x, y, title}]}] as lines with a
// dot per point. opts: {xlabel, ylabel, axis ('count' or 'uqc'), id, empty}.
export function lineChart(series, opts = {}) {
  const pts = series.flatMap((s) => s.points);
  const id = esc(opts.id || 'chart');
  if (!pts.length) return `<svg class="chart" data-k="${id}" data-points="0" viewBox="0 0 ${W} ${H}" role="img"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="muted">${esc(opts.empty || 'no data yet')}</text></svg>`;
  const xmin = Math.min(...pts.map((p) => p.x)), xmax = Math.max(...pts.map((p) => p.x));
  const ax = yAxis(opts, Math.max(...pts.map((p) => p.y)));
  const sx = (x) => L + (xmax === xmin ? (W - L - R) / 2 : ((W - L - R) * (x - xmin)) / (xmax - xmin));
  const sy = (y) => T + (H - T - B) * (1 - y / ax.div / ax.sc.top);
  let s = axes(xmin, xmax, ax.sc, ax.fmt, opts.xlabel || '', ax.label);
  series.forEach((ser, i) => {
    const c = COLORS[i % COLORS.length];
    const sorted = [...ser.points].sort((a, b) => a.x - b.x);
    if (sorted.length > 1) s += `<polyline class="line" stroke="${c}" points="${sorted.map((p) => sx(p.x).toFixed(1) + ',' + sy(p.y).toFixed(1)).join(' ')}"/>`;
    for (const p of sorted) s += `<circle class="pt" r="3.5" fill="${c}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}"><title>${esc(p.title || ser.name + ': ' + p.y)}</title></circle>`;
  });
  return `<svg class="chart" data-k="${id}" data-points="${pts.length}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(ax.label)}">${s}</svg>` + legend(series);
}

// barChart draws stacked bars: groups [{x, parts: [{name, y, title}]}];
// opts as lineChart's.
export function barChart(groups, opts = {}) {
  const id = esc(opts.id || 'chart');
  const n = groups.reduce((k, g) => k + g.parts.length, 0);
  if (!groups.length) return `<svg class="chart" data-k="${id}" data-points="0" viewBox="0 0 ${W} ${H}" role="img"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="muted">${esc(opts.empty || 'no data yet')}</text></svg>`;
  const names = [...new Set(groups.flatMap((g) => g.parts.map((p) => p.name)))];
  const ax = yAxis(opts, Math.max(...groups.map((g) => g.parts.reduce((a, p) => a + p.y, 0))));
  const xs = groups.map((g) => g.x);
  const xmin = Math.min(...xs), xmax = Math.max(...xs);
  const bw = Math.max(2, Math.min(40, ((W - L - R) / groups.length) * 0.7));
  const sx = (x) => L + bw / 2 + (xmax === xmin ? (W - L - R - bw) / 2 : ((W - L - R - bw) * (x - xmin)) / (xmax - xmin));
  const sy = (y) => (H - T - B) * (y / ax.div / ax.sc.top);
  let s = axes(xmin, xmax, ax.sc, ax.fmt, opts.xlabel || '', ax.label);
  for (const g of groups) {
    let base = H - B;
    for (const p of g.parts) {
      const h = sy(p.y);
      base -= h;
      const c = COLORS[names.indexOf(p.name) % COLORS.length];
      s += `<rect class="pt" fill="${c}" x="${(sx(g.x) - bw / 2).toFixed(1)}" y="${base.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}"><title>${esc(p.title || p.name + ': ' + p.y)}</title></rect>`;
    }
  }
  return `<svg class="chart" data-k="${id}" data-points="${n}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(ax.label)}">${s}</svg>` + legend(names.map((name) => ({ name })));
}

function legend(series) {
  if (series.length < 2 && !(series[0] && series[0].name)) return '';
  return '<div class="legend">' + series.map((s, i) => `<span><svg viewBox="0 0 10 10" class="swatch"><rect width="10" height="10" fill="${COLORS[i % COLORS.length]}"/></svg>${esc(s.name)}</span>`).join('') + '</div>';
}
