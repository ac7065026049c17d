// @ts-check
/**
 * Small pieces the keys page's sections share: dates, copy fields, error lines, controls guarded
 * by the user's permissions, and the state of the keys page that its parts act on.
 */
import { ApiError, flatMessages } from './api.js';
import { h, uid } from './dom.js';
import { announce } from './shell.js';

/** @typedef {{ canWrite: boolean, canDelete: boolean, canAdmin: boolean, writeNote: string, deleteNote: string }} Permissions */

/**
 * The keys page as its parts see it: the keys shown, and how to redraw or change one.
 * @typedef {object} KeysPage
 * @property {string} orgSlug
 * @property {string} projectSlug
 * @property {string} projectPath `projects/{org}/{project}/` under /api/0/
 * @property {string} keysPath `projects/{org}/{project}/keys/` under /api/0/
 * @property {Permissions} perms
 * @property {any[]} keys
 * @property {HTMLElement} list
 * @property {HTMLElement} newKey
 * @property {() => void} render
 * @property {(key: any, focusAction?: string) => void} replace Redraw one key's card.
 * @property {(key: any, body: Record<string, unknown>) => Promise<any>} update PUT on the key; its new JSON.
 */

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A `<time>` for an ISO timestamp, in the reader's locale. */
export function timeElement(/** @type {string} */ iso) {
  return h('time', { datetime: iso }, dateFormat.format(new Date(iso)));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS = /** @type {const} */ ([
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
]);

/** How long ago an ISO timestamp was, in words ("3 minutes ago"), with the exact time on hover. */
export function agoElement(/** @type {string} */ iso) {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size) ?? UNITS[UNITS.length - 1];
  return h('time', { datetime: iso, title: dateFormat.format(new Date(iso)) }, relative.format(Math.round(seconds / size), unit));
}

/**
 * The server's messages for one field of a 400 (DRF's `{"field": ["message"]}`), or null when the
 * error is not about that field.
 */
export function fieldMessages(/** @type {unknown} */ error, /** @type {string} */ field) {
  if (!(error instanceof ApiError) || error.status !== 400 || !error.body || typeof error.body !== 'object') return null;
  const messages = error.body[field];
  return messages === undefined ? null : flatMessages(messages);
}

/** Copy text: the Clipboard API where the page is a secure context, else the older selection copy. */
async function copyText(/** @type {string} */ text, /** @type {HTMLInputElement} */ input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.focus();
    input.select();
    return document.execCommand('copy');
  }
}

/** A labelled read-only field with a copy button. */
export function copyField(/** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ what) {
  const id = uid('copy');
  const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'text', readonly: true, value, class: 'mono', spellcheck: 'false' }));
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button',
      'aria-label': `Copy ${what}`,
      onclick: async () => {
        const done = await copyText(value, input);
        announce(done ? `${what} copied to the clipboard` : `Could not copy: select the ${what} and copy it yourself`);
        button.classList.toggle('copied', done);
      },
    },
    'Copy',
  );
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, input, button));
}

export function errorLine() {
  return h('p', { class: 'field-error', role: 'alert', hidden: true });
}

export function showError(/** @type {HTMLElement} */ line, /** @type {unknown} */ error) {
  line.textContent = error instanceof Error ? error.message : String(error);
  line.hidden = false;
}

/** A write control, disabled with the reason when the user may not use it. */
export const guarded = (/** @type {boolean} */ allowed, /** @type {string} */ note) =>
  allowed ? {} : { disabled: true, 'aria-describedby': note, title: 'Your role does not allow this' };
