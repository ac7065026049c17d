// @ts-check
/** A key's usage section: its chart of the last 24 hours, or how to send a first event. */
import { enc, api, limited } from './api.js';
import { isStats, totals, usageChart } from './chart.js';
import { append, clear, h, uid } from './dom.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */

/** @typedef {import('./health.js').KeyHealth} KeyHealth */

/**
 * @param {KeysPage} page
 * @param {any} key
 * @param {Promise<KeyHealth | undefined>} health the card's health request, shared with its header
 */
export function usageSection(page, key, health) {
  const headingId = uid('usage');
  const body = h('div', { class: 'usage-body' }, h('p', { class: 'loading' }, 'Loading usage…'));
  const healthBody = h('div', { class: 'usage-health' });
  const section = h('section', { class: 'usage', 'aria-labelledby': headingId }, h('h3', { id: headingId }, 'Usage, last 24 hours'), body, healthBody);
  Promise.all([loadStats(page, key), health]).then(([points, report]) => {
    clear(body);
    if (points && totals(points).accepted + totals(points).dropped > 0) body.append(usageChart(points, `Events for key ${key.name} in the last 24 hours`));
    // A key whose requests are all refused is in use: how to send a first event would mislead.
    else if (report && refusedTotal(report) > 0) append(body, h('p', { class: 'empty' }, 'No events accepted in the last 24 hours; its requests were refused (below).'));
    else append(body, firstEvent(key, points === undefined));
    if (report) append(healthBody, [refusalsTable(report), discardedTable(report)]);
  });
  return section;
}

const count = new Intl.NumberFormat();

/** Refusal reasons as the health endpoint names them, in words; unknown ones show their name. */
const REASONS = /** @type {Record<string, string>} */ ({
  disabled: 'Key disabled',
  expired: 'Key expired or rotated out',
  project_mismatch: 'Sent to another project',
  origin: 'Origin not allowed',
  ip: 'IP address not allowed',
  rate_limited: 'Rate limit or quota',
  too_large: 'Too large',
  invalid: 'Invalid request',
  queue_full: 'Delivery queue full',
});

/** A small table with a caption; `rows` are cells, the last one a number. */
function table(/** @type {string} */ caption, /** @type {string[]} */ headers, /** @type {Array<{ attrs: Record<string, string>, cells: string[] }>} */ rows) {
  return h(
    'table',
    { class: 'usage-table' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((text, i) => h('th', { scope: 'col', class: i === headers.length - 1 ? 'num' : undefined }, text)))),
    h('tbody', {}, rows.map(({ attrs, cells }) => h('tr', attrs, cells.map((text, i) => h('td', { class: i === cells.length - 1 ? 'num' : undefined }, text))))),
  );
}

function refusedTotal(/** @type {KeyHealth} */ health) {
  return Object.values(health.refused).reduce((sum, n) => sum + (Number(n) || 0), 0);
}

/** Refused requests by reason: only the reasons that happened, so a healthy key shows one line. */
function refusalsTable(/** @type {KeyHealth} */ health) {
  const rows = Object.entries(health.refused)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => ({ attrs: { 'data-reason': reason }, cells: [REASONS[reason] ?? reason, count.format(n)] }));
  if (rows.length === 0) return h('p', { class: 'hint', 'data-health': 'no-refusals' }, 'No requests refused in the last 24 hours.');
  return table('Refused by clientkeys, by reason', ['Reason', 'Requests'], rows);
}

/** What the SDKs reported dropping themselves (client reports): invisible otherwise. */
function discardedTable(/** @type {KeyHealth} */ health) {
  if (health.clientDiscarded.length === 0) return null;
  const rows = health.clientDiscarded.map((d) => ({ attrs: { 'data-discard': `${d.reason}:${d.category}` }, cells: [d.reason, d.category, count.format(d.quantity)] }));
  return table('Dropped by the SDKs (client reports)', ['Reason', 'Category', 'Items'], rows);
}

/** The key's stats (Sentry's key stats endpoint); undefined when this server has none. */
async function loadStats(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const until = Math.floor(Date.now() / 1000);
  try {
    const { json } = await limited(() => api('GET', `${page.keysPath}${enc(key.id)}/stats/?since=${until - 86400}&until=${until}&resolution=1h`));
    return isStats(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

/** How to send a first event with a key: shown where its chart would be. */
function firstEvent(/** @type {any} */ key, /** @type {boolean} */ noStats) {
  const dsn = key.dsn.public;
  return [
    h('p', { class: 'empty' }, noStats ? 'No usage data yet.' : 'No events in the last 24 hours.', ' Send a first event with this key:'),
    h(
      'ol',
      { class: 'steps' },
      h('li', {}, 'Install a Sentry SDK for your platform and initialise it with this DSN, e.g. in JavaScript:', h('pre', {}, h('code', {}, `Sentry.init({ dsn: "${dsn}" });`))),
      h('li', {}, 'Or send a test event from a shell with Sentry\'s CLI:', h('pre', {}, h('code', {}, `SENTRY_DSN="${dsn}" npx @sentry/cli send-event -m "Hello from clientkeys"`))),
    ),
  ];
}
