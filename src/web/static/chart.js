// @ts-check
/**
 * A key's usage over the last 24 hours as a bar chart (SVG, no library): accepted events at the
 * bottom of each bar, dropped ones stacked on top. Points have the shape of Sentry's key stats
 * endpoint: `{ ts, total, dropped, accepted, filtered }`, `ts` in unix seconds.
 */

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

/** @typedef {{ ts: number, total?: number, dropped?: number, accepted?: number, filtered?: number }} StatsPoint */

/** @param {StatsPoint[]} points */
export function totals(points) {
  let accepted = 0;
  let dropped = 0;
  for (const p of points) {
    accepted += Number(p.accepted) || 0;
    dropped += Number(p.dropped) || 0;
  }
  return { accepted, dropped };
}

/** @param {unknown} value @returns {value is StatsPoint[]} */
export function isStats(value) {
  return Array.isArray(value) && value.every((p) => p && typeof p === 'object' && typeof p.ts === 'number');
}

const hour = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const count = new Intl.NumberFormat();

/**
 * @param {StatsPoint[]} points
 * @param {string} label what the chart shows, for its accessible name
 * @returns {HTMLElement}
 */
export function usageChart(points, label) {
  const width = 480;
  const height = 120;
  const top = 8;
  const bottom = 20;
  const plot = height - top - bottom;
  const max = Math.max(1, ...points.map((p) => (Number(p.accepted) || 0) + (Number(p.dropped) || 0)));
  const step = width / Math.max(points.length, 1);
  const barWidth = Math.max(1, step * 0.7);
  const sum = totals(points);
  const summary = `${label}: ${count.format(sum.accepted)} accepted, ${count.format(sum.dropped)} dropped`;

  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary, class: 'chart', preserveAspectRatio: 'none' });
  svg.append(s('line', { x1: 0, x2: width, y1: top + plot + 0.5, y2: top + plot + 0.5, class: 'chart-axis' }));
  points.forEach((p, i) => {
    const accepted = Number(p.accepted) || 0;
    const dropped = Number(p.dropped) || 0;
    const x = i * step + (step - barWidth) / 2;
    const acceptedHeight = (accepted / max) * plot;
    const droppedHeight = (dropped / max) * plot;
    const when = hour.format(new Date(p.ts * 1000));
    const group = s('g', {}, s('title', {}, `${when}: ${count.format(accepted)} accepted, ${count.format(dropped)} dropped`));
    group.append(s('rect', { x, width: barWidth, y: top + plot - acceptedHeight, height: acceptedHeight, class: 'bar-accepted' }));
    group.append(s('rect', { x, width: barWidth, y: top + plot - acceptedHeight - droppedHeight, height: droppedHeight, class: 'bar-dropped' }));
    svg.append(group);
    if (i % 6 === 0) {
      // Labels at the edges are anchored inside the chart, so they are not cut off.
      const centre = x + barWidth / 2;
      const anchor = centre < 40 ? 'start' : centre > width - 40 ? 'end' : 'middle';
      svg.append(s('text', { x: anchor === 'start' ? x : anchor === 'end' ? x + barWidth : centre, y: height - 5, class: 'chart-tick', 'text-anchor': anchor }, when));
    }
  });

  const figure = document.createElement('figure');
  figure.className = 'usage-chart';
  figure.append(svg);
  const caption = document.createElement('figcaption');
  caption.className = 'chart-legend';
  const item = (/** @type {string} */ cls, /** @type {string} */ text) => {
    const span = document.createElement('span');
    span.className = `legend ${cls}`;
    span.textContent = text;
    return span;
  };
  caption.append(item('legend-accepted', `${count.format(sum.accepted)} accepted`), item('legend-dropped', `${count.format(sum.dropped)} dropped`));
  figure.append(caption);
  return figure;
}
