// @ts-check
/**
 * The project's upstream (gateway mode, docs/gateway.md): the backend its accepted events are
 * delivered to and how delivery goes. Only the backend's host and project id are ever shown: the
 * API never returns its key. Setting it needs project:admin; everyone who sees the page sees the state.
 */
import { api } from './api.js';
import { append, clear, h, uid } from './dom.js';
import { announce } from './shell.js';
import { agoElement, errorLine, fieldMessages, showError } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */
/**
 * @typedef {{ upstream: { host: string, projectId: string } | null, delivered: number, retrying: number, refused: number,
 *   rateLimited?: number, queued: number, oldestQueued: string | null, lastDelivered?: string | null,
 *   lastError: { status: number | null, reason: string, at?: string } | null }} UpstreamState
 */

const count = new Intl.NumberFormat();

/** One term of the delivery state; `data-stat` names it for tests and styles. */
function stat(/** @type {string} */ name, /** @type {string} */ label, /** @type {unknown} */ value) {
  return h('div', {}, h('dt', {}, label), h('dd', { 'data-stat': name }, value));
}

function lastErrorText(/** @type {UpstreamState['lastError']} */ error) {
  if (!error) return 'None';
  const what = error.status === null ? 'Network error' : `HTTP ${error.status}`;
  return [`${what}: ${error.reason}`, error.at ? [' (', agoElement(error.at), ')'] : null];
}

function where(/** @type {UpstreamState['upstream']} */ upstream) {
  if (!upstream) return h('p', { class: 'empty', 'data-upstream': 'none' }, 'No upstream: accepted events are not delivered to a backend of this project.');
  return h(
    'p',
    {},
    'Accepted events are delivered to ',
    h('strong', { class: 'mono', 'data-upstream': 'host' }, upstream.host),
    ', project ',
    h('strong', { class: 'mono', 'data-upstream': 'project-id' }, upstream.projectId),
    '.',
  );
}

function stateView(/** @type {UpstreamState} */ state) {
  return [
    where(state.upstream),
    h(
      'dl',
      { class: 'key-meta delivery-stats' },
      stat('delivered', 'Delivered', count.format(state.delivered)),
      stat('retrying', 'Retrying', count.format(state.retrying)),
      stat('refused', 'Refused by the backend', count.format(state.refused)),
      state.rateLimited === undefined ? null : stat('rateLimited', 'Rate limited by the backend', count.format(state.rateLimited)),
      stat('queued', 'Queued', count.format(state.queued)),
      stat('oldestQueued', 'Oldest queued', state.oldestQueued ? agoElement(state.oldestQueued) : 'None'),
      stat('lastError', 'Last error', lastErrorText(state.lastError)),
    ),
  ];
}

/** The DSN form, for admins: set (the server validates the DSN) or clear the upstream. */
function upstreamForm(/** @type {KeysPage} */ page, /** @type {() => Promise<UpstreamState | undefined>} */ reload) {
  const inputId = uid('upstream-dsn');
  const error = errorLine();
  error.id = uid('upstream-error');
  const input = /** @type {HTMLInputElement} */ (
    h('input', { id: inputId, name: 'upstreamDsn', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://<key>@o123.ingest.sentry.io/456', 'aria-describedby': error.id })
  );
  const save = async (/** @type {string | null} */ dsn) => {
    error.hidden = true;
    try {
      const { json } = await api('PUT', page.projectPath, { upstreamDsn: dsn });
      input.value = '';
      await reload();
      announce(json?.upstream ? `Upstream set to ${json.upstream.host}` : 'Upstream cleared');
    } catch (e) {
      const messages = fieldMessages(e, 'upstreamDsn');
      showError(error, messages ?? e);
      if (messages) input.setAttribute('aria-invalid', 'true');
    }
  };
  const clearButton = h('button', { type: 'button', class: 'button', 'data-action': 'clear-upstream', onclick: () => save(null) }, 'Clear upstream');
  const form = h(
    'form',
    {
      class: 'upstream-form',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        input.removeAttribute('aria-invalid');
        save(input.value.trim());
      },
    },
    h('div', { class: 'field' }, h('label', { for: inputId }, 'Upstream DSN'), input),
    h('p', { class: 'hint' }, "The backend's DSN (sentry.io, a self-hosted Sentry, a Relay…). Its key stays on the server: only its host and project id are shown."),
    error,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-upstream' }, 'Save upstream'), clearButton),
  );
  return { form, clearButton };
}

export function upstreamSection(/** @type {KeysPage} */ page) {
  const headingId = uid('upstream');
  const body = h('div', { class: 'upstream-state', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading delivery state…'));
  const reload = async () => {
    try {
      const { json } = await api('GET', `${page.projectPath}upstream/`);
      const state = /** @type {UpstreamState} */ (json);
      clear(body);
      append(body, stateView(state));
      if (controls) controls.clearButton.hidden = !state.upstream;
      return state;
    } catch (e) {
      clear(body);
      append(body, h('p', { class: 'alert', role: 'alert' }, `Could not load the delivery state: ${e instanceof Error ? e.message : String(e)}`));
      return undefined;
    }
  };
  const controls = page.perms.canAdmin ? upstreamForm(page, reload) : null;
  const section = h(
    'section',
    { class: 'upstream', 'aria-labelledby': headingId, 'data-section': 'upstream' },
    h('div', { class: 'section-header' }, h('h2', { id: headingId }, 'Upstream'), h('button', { type: 'button', class: 'button subtle', 'data-action': 'refresh-upstream', onclick: () => reload() }, 'Refresh')),
    body,
    controls ? controls.form : h('p', { class: 'note' }, 'Setting or clearing the upstream needs the project:admin permission (the Owner, Manager or Admin role).'),
  );
  reload();
  return section;
}
