// @ts-check
/** A key's usage section: its chart of the last 24 hours, or how to send a first event. */
import { enc, api, limited } from './api.js';
import { isStats, totals, usageChart } from './chart.js';
import { append, clear, h, uid } from './dom.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */

export function usageSection(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const headingId = uid('usage');
  const body = h('div', { class: 'usage-body' }, h('p', { class: 'loading' }, 'Loading usage…'));
  const section = h('section', { class: 'usage', 'aria-labelledby': headingId }, h('h3', { id: headingId }, 'Usage, last 24 hours'), body);
  loadStats(page, key).then((points) => {
    clear(body);
    if (points && totals(points).accepted + totals(points).dropped > 0) body.append(usageChart(points, `Events for key ${key.name} in the last 24 hours`));
    else append(body, firstEvent(key, points === undefined));
  });
  return section;
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
