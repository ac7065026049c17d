// @ts-check
/**
 * A key's policy (clientkeys, docs/gateway.md#key-policy): quotas per data category, IP and origin
 * rules, requireOrigin and serverOnly. The server validates every value; its field errors are
 * shown next to the field they are about.
 */
import { flatMessages } from './api.js';
import { h, uid } from './dom.js';
import { WINDOWS, windowLabel } from './forms.js';
import { announce } from './shell.js';
import { errorLine, fieldMessages, guarded, showError } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */
/** @typedef {{ categories: string[], count: number, window: number }} Quota */

const LIST_FIELDS = [
  ['allowedIps', 'Allowed IP addresses and CIDRs', 'Only these may use the key; empty: any. One per line, e.g. 10.0.0.0/8.'],
  ['deniedIps', 'Denied IP addresses and CIDRs', 'These may not use the key. One per line.'],
  ['allowedOrigins', 'Allowed origins', "Browsers on these origins may use the key, on top of the project's allowed domains. One per line, e.g. https://app.example.com or *.example.com."],
];

const SWITCHES = [
  ['requireOrigin', 'Require an Origin or Referer header'],
  ['serverOnly', 'Server only: refuse requests from browsers'],
];

/** At most a few items of a list, then how many more: the card's summary stays one line. */
function shortList(/** @type {string[]} */ items) {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}

/** The key's policy in one line, for the card's summary. */
export function policyText(/** @type {any} */ key) {
  const parts = [];
  for (const quota of /** @type {Quota[]} */ (key.quotas ?? [])) parts.push(`${quota.categories.join(', ')}: ${quota.count} per ${windowLabel(quota.window)}`);
  if (key.allowedIps?.length) parts.push(`only from ${shortList(key.allowedIps)}`);
  if (key.deniedIps?.length) parts.push(`not from ${shortList(key.deniedIps)}`);
  if (key.allowedOrigins?.length) parts.push(`origins ${shortList(key.allowedOrigins)}`);
  if (key.requireOrigin) parts.push('Origin required');
  if (key.serverOnly) parts.push('server only');
  return parts.length ? parts.join('; ') : 'No policy';
}

/** Quota errors name the row they are about (DRF reports them per list index). */
function quotaMessages(/** @type {unknown} */ messages) {
  if (!messages || typeof messages !== 'object' || Array.isArray(messages)) return flatMessages(messages);
  return Object.entries(messages)
    .map(([index, value]) => (/^\d+$/.test(index) ? `Quota ${Number(index) + 1}: ${flatMessages(value)}` : flatMessages(value)))
    .join(' ');
}

/** One quota as a row of inputs: categories (comma-separated), count and window. */
function quotaRow(/** @type {Quota | null} */ quota, /** @type {Record<string, unknown>} */ write, /** @type {() => void} */ changed) {
  const ids = { categories: uid('quota-categories'), count: uid('quota-count'), window: uid('quota-window') };
  const current = quota?.window ?? 60;
  const windows = WINDOWS.some(([value]) => value === current) ? WINDOWS : [...WINDOWS, [current, windowLabel(current)]];
  const row = h(
    'div',
    { class: 'inline-fields quota-row', role: 'group' },
    h('div', { class: 'field' }, h('label', { for: ids.categories }, 'Categories'), h('input', { id: ids.categories, name: 'categories', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'error, transaction', value: quota ? quota.categories.join(', ') : '', ...write })),
    h('div', { class: 'field' }, h('label', { for: ids.count }, 'Count'), h('input', { id: ids.count, name: 'count', type: 'number', min: 0, step: 1, inputmode: 'numeric', value: quota ? String(quota.count) : '', ...write })),
    h('div', { class: 'field' }, h('label', { for: ids.window }, 'Per'), h('select', { id: ids.window, name: 'window', ...write }, windows.map(([value, label]) => h('option', { value: String(value), selected: value === current }, String(label))))),
    h('button', { type: 'button', class: 'button subtle', 'data-action': 'remove-quota', ...write, onclick: () => { row.remove(); changed(); } }, 'Remove'),
  );
  return row;
}

/** The rows as the API takes them; values are sent as typed, so the server's errors name them. */
function readQuotas(/** @type {HTMLElement} */ rows) {
  return [...rows.querySelectorAll('.quota-row')].map((row) => {
    const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (row.querySelector(`[name="${name}"]`)).value.trim();
    const count = value('count');
    return { categories: value('categories').split(/[\s,]+/).filter(Boolean), count: count === '' ? '' : Number(count), window: Number(value('window')) };
  });
}

const lines = (/** @type {string} */ text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

export function policyForm(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const write = guarded(page.perms.canWrite, page.perms.writeNote);
  const rows = h('div', { class: 'quota-rows' });
  // Rows are numbered in their group's name, so "Quota 2" still means the second after a removal.
  const renumber = () => rows.querySelectorAll('.quota-row').forEach((row, i) => row.setAttribute('aria-label', `Quota ${i + 1}`));
  for (const quota of /** @type {Quota[]} */ (key.quotas ?? [])) rows.append(quotaRow(quota, write, renumber));
  renumber();
  /** @type {Record<string, HTMLElement>} */
  const errors = { quotas: errorLine() };
  const general = errorLine();

  const listField = (/** @type {string} */ field, /** @type {string} */ label, /** @type {string} */ hint) => {
    const id = uid(field);
    errors[field] = errorLine();
    const value = /** @type {string[]} */ (key[field] ?? []).join('\n');
    return h('div', { class: 'field' }, h('label', { for: id }, label), h('p', { class: 'hint' }, hint), h('textarea', { id, name: field, rows: 3, class: 'mono', spellcheck: 'false', ...write }, value), errors[field]);
  };

  const form = h(
    'form',
    {
      class: 'details-body policy-form',
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        for (const line of [...Object.values(errors), general]) line.hidden = true;
        const data = new FormData(/** @type {HTMLFormElement} */ (form));
        /** @type {Record<string, unknown>} */
        const body = { quotas: readQuotas(rows) };
        for (const [field] of LIST_FIELDS) body[field] = lines(String(data.get(field) ?? ''));
        for (const [field] of SWITCHES) body[field] = data.get(field) === 'on';
        try {
          const updated = await page.update(key, body);
          page.replace(updated, 'save-policy');
          announce('Key policy saved');
        } catch (e) {
          showPolicyErrors(e, errors, general);
        }
      },
    },
    h(
      'fieldset',
      { class: 'quotas' },
      h('legend', {}, 'Quotas'),
      h('p', { class: 'hint' }, 'Per data category (error, transaction, span, attachment, session, replay, log_item, log_byte…), on top of the rate limit: one counter for the categories of a row; bytes for attachment and log_byte.'),
      rows,
      h('button', { type: 'button', class: 'button', 'data-action': 'add-quota', ...write, onclick: () => { rows.append(quotaRow(null, write, renumber)); renumber(); } }, 'Add quota'),
      errors.quotas,
    ),
    LIST_FIELDS.map(([field, label, hint]) => listField(field, label, hint)),
    h(
      'fieldset',
      { class: 'checkboxes' },
      h('legend', {}, 'Requests'),
      SWITCHES.map(([field, label]) => {
        const id = uid(field);
        return h('div', { class: 'checkbox' }, h('input', { id, type: 'checkbox', name: field, checked: Boolean(key[field]), ...write }), h('label', { for: id }, label));
      }),
    ),
    general,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-policy', ...write }, 'Save policy')),
  );
  return form;
}

/** Each field's messages beside it; anything else (or a non-400) in the form's own line. */
function showPolicyErrors(/** @type {unknown} */ error, /** @type {Record<string, HTMLElement>} */ errors, /** @type {HTMLElement} */ general) {
  let shown = false;
  for (const [field, line] of Object.entries(errors)) {
    const messages = fieldMessages(error, field);
    if (messages === null) continue;
    line.textContent = field === 'quotas' ? quotaMessages(/** @type {any} */ (error).body.quotas) : messages;
    line.hidden = false;
    shown = true;
  }
  if (!shown) showError(general, error);
}
