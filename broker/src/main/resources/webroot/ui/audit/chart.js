// The summary's charts, drawn as SVG by this page (no library, nothing fetched from elsewhere):
// one stacked bar per time bucket, one colour per organisation. Values go into the SVG as text
// nodes and attributes, never as markup.

const SVG = 'http://www.w3.org/2000/svg';
// Colour-blind-safe (Okabe-Ito); organisations past eight reuse them, the legend still names each.
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function colourOf(index) {
  return PALETTE[index % PALETTE.length];
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/**
 * A linear time axis over {@code times} (milliseconds, UTC): every bucket from the first to the
 * last, empty ones included, so that a quiet week shows as a gap, not as bars drawn side by side.
 * Buckets are hours within two days, days within 120 days, else months. Returns {unit, keys (in
 * order), keyOf(ms)}; no keys for no times.
 */
export function timeAxis(times) {
  if (times.length === 0) return { unit: 'hour', keys: [], keyOf: () => null };
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const span = max - min;
  const unit = span <= 2 * DAY ? 'hour' : span <= 120 * DAY ? 'day' : 'month';
  const start = (ms) => {
    const d = new Date(ms);
    if (unit === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    if (unit === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  };
  const next = (ms) => {
    if (unit !== 'month') return ms + (unit === 'hour' ? HOUR : DAY);
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  };
  const name = (ms) => {
    const iso = new Date(ms).toISOString();
    return unit === 'hour' ? iso.slice(0, 13).replace('T', ' ') + 'h' : iso.slice(0, unit === 'day' ? 10 : 7);
  };
  const keys = [];
  for (let t = start(min); t <= max; t = next(t)) keys.push(name(t));
  return { unit, keys, keyOf: (ms) => name(start(ms)) };
}

/**
 * A stacked bar chart. {@code buckets}: [{label, values: Map(series -> number)}]; {@code series}:
 * names in legend order; {@code format(n)}: an axis and tooltip label. Scales to its container's
 * width (viewBox), so it never widens the page.
 */
export function stackedBars({ title, buckets, series, format }) {
  const width = 640;
  const height = 240;
  const left = 64;
  const bottom = 36;
  const top = 12;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 8;
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + (b.values.get(s) || 0), 0));
  const max = Math.max(1, ...totals);
  const root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', class: 'chart', preserveAspectRatio: 'xMinYMin meet' });
  root.append(svg('title', {}, title));
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    root.append(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, format(max * fraction)));
  }
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const labelEvery = Math.ceil(buckets.length / 8);
  buckets.forEach((bucket, i) => {
    const x = left + slot * i + (slot - barWidth) / 2;
    let y = top + plotHeight;
    series.forEach((name, s) => {
      const value = bucket.values.get(name) || 0;
      if (value <= 0) return;
      const h = (value / max) * plotHeight;
      y -= h;
      const bar = svg('rect', { x, y, width: barWidth, height: h, fill: colourOf(s), 'data-series': name, 'data-bucket': bucket.label });
      bar.append(svg('title', {}, name + ', ' + bucket.label + ': ' + format(value)));
      root.append(bar);
    });
    if (i % labelEvery === 0) {
      root.append(svg('text', { x: x + barWidth / 2, y: height - bottom + 16, 'text-anchor': 'middle', class: 'axis' }, bucket.label));
    }
  });
  return root;
}

/** A legend's colour sample: SVG with a fill attribute, since the page's policy allows no inline styles. */
export function swatch(index) {
  const root = svg('svg', { viewBox: '0 0 10 10', class: 'swatch', 'aria-hidden': 'true' });
  root.append(svg('rect', { width: 10, height: 10, rx: 2, fill: colourOf(index) }));
  return root;
}
