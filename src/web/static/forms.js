// @ts-check
/** The forms in a key's card: its rate limit and its JavaScript loader options. */
import { h, uid } from './dom.js';
import { announce } from './shell.js';
import { copyField, errorLine, guarded, showError } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */

export const WINDOWS = [
  [60, '1 minute'],
  [300, '5 minutes'],
  [900, '15 minutes'],
  [3600, '1 hour'],
  [21600, '6 hours'],
  [86400, '1 day'],
];

export function windowLabel(/** @type {number} */ seconds) {
  const known = WINDOWS.find(([value]) => value === seconds);
  return known ? String(known[1]) : `${seconds} seconds`;
}

export function rateLimitText(/** @type {any} */ key) {
  return key.rateLimit ? `${key.rateLimit.count} events per ${windowLabel(key.rateLimit.window)}` : 'No limit';
}

const LOADER_OPTIONS = [
  ['hasPerformance', 'Performance monitoring (tracing)'],
  ['hasReplay', 'Session Replay'],
  ['hasDebug', 'Debug bundles and logging'],
  ['hasFeedback', 'User Feedback'],
  ['hasLogsAndMetrics', 'Logs and metrics'],
];

export function loaderText(/** @type {any} */ key) {
  const on = LOADER_OPTIONS.filter(([field]) => key.dynamicSdkLoaderOptions?.[field]).map(([, label]) => label);
  return `SDK ${key.browserSdkVersion}${on.length ? ` with ${on.join(', ')}` : ''}`;
}

export function rateLimitForm(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const countId = uid('rl-count');
  const windowId = uid('rl-window');
  const error = errorLine();
  const current = key.rateLimit;
  const windows = WINDOWS.some(([value]) => value === current?.window) || !current ? WINDOWS : [...WINDOWS, [current.window, windowLabel(current.window)]];
  const write = guarded(page.perms.canWrite, page.perms.writeNote);
  const save = async (/** @type {Record<string, unknown>} */ body, /** @type {string} */ message) => {
    try {
      const updated = await page.update(key, body);
      page.replace(updated, 'save-rate-limit');
      announce(message);
    } catch (e) {
      showError(error, e);
    }
  };
  const form = h(
    'form',
    {
      class: 'details-body',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (form));
        const count = Number(data.get('count') || 0);
        const window = Number(data.get('window'));
        if (count > 0) save({ rateLimit: { count, window } }, `Rate limit set to ${count} events per ${windowLabel(window)}`);
        else save({ rateLimit: null }, 'Rate limit removed');
      },
    },
    h('p', { class: 'hint' }, 'Events beyond this many in each window are dropped. Empty or 0: no limit.'),
    h(
      'div',
      { class: 'inline-fields' },
      h('div', { class: 'field' }, h('label', { for: countId }, 'Maximum events'), h('input', { id: countId, name: 'count', type: 'number', min: 0, step: 1, inputmode: 'numeric', value: current ? String(current.count) : '', ...write })),
      h(
        'div',
        { class: 'field' },
        h('label', { for: windowId }, 'Per'),
        h('select', { id: windowId, name: 'window', ...write }, windows.map(([value, label]) => h('option', { value: String(value), selected: value === (current?.window ?? 60) }, String(label)))),
      ),
    ),
    error,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-rate-limit', ...write }, 'Save rate limit'),
      current ? h('button', { type: 'button', class: 'button', ...write, onclick: () => save({ rateLimit: null }, 'Rate limit removed') }, 'Remove rate limit') : null,
    ),
  );
  return form;
}

export function loaderForm(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const versionId = uid('sdk-version');
  const error = errorLine();
  const write = guarded(page.perms.canWrite, page.perms.writeNote);
  const choices = /** @type {string[]} */ ((key.browserSdk?.choices ?? []).map((/** @type {string[]} */ c) => c[0]));
  if (!choices.includes(key.browserSdkVersion)) choices.unshift(key.browserSdkVersion);
  const form = h(
    'form',
    {
      class: 'details-body',
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (form));
        /** @type {Record<string, boolean>} */
        const options = {};
        for (const [field] of LOADER_OPTIONS) options[field] = data.get(field) === 'on';
        try {
          const updated = await page.update(key, { browserSdkVersion: data.get('browserSdkVersion'), dynamicSdkLoaderOptions: options });
          page.replace(updated, 'save-loader');
          announce('Loader script options saved');
        } catch (e) {
          showError(error, e);
        }
      },
    },
    h('p', { class: 'hint' }, 'The JavaScript loader script loads the Sentry browser SDK with these options. Add it to your pages:'),
    copyField('Loader script tag', `<script src="${key.dsn.cdn}" crossorigin="anonymous"></script>`, 'loader script tag'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: versionId }, 'SDK version'),
      h('select', { id: versionId, name: 'browserSdkVersion', ...write }, choices.map((v) => h('option', { value: v, selected: v === key.browserSdkVersion }, v))),
    ),
    h(
      'fieldset',
      { class: 'checkboxes' },
      h('legend', {}, 'Load with'),
      LOADER_OPTIONS.map(([field, label]) => {
        const id = uid(String(field));
        return h('div', { class: 'checkbox' }, h('input', { id, type: 'checkbox', name: field, checked: Boolean(key.dynamicSdkLoaderOptions?.[field]), ...write }), h('label', { for: id }, label));
      }),
    ),
    error,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-loader', ...write }, 'Save loader options')),
  );
  return form;
}
