// @ts-check
/** One key's card on the keys page: its state, actions, DSNs, forms and usage. */
import { deleteDialog, renameDialog, rotateDialog } from './dialogs.js';
import { h, uid } from './dom.js';
import { loaderForm, loaderText, rateLimitForm, rateLimitText } from './forms.js';
import { loadHealth, stillInUse } from './health.js';
import { policyForm, policyText } from './policy.js';
import { announce } from './shell.js';
import { usageSection } from './usage.js';
import { copyField, dateFormat, guarded, timeElement } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */

const OTHER_DSNS = [
  ['secret', 'Secret DSN (deprecated: SDKs need only the public DSN)'],
  ['security', 'Security header endpoint (CSP, Expect-CT, HPKP)'],
  ['csp', 'CSP report endpoint'],
  ['minidump', 'Minidump endpoint'],
  ['unreal', 'Unreal Engine crash reporter endpoint'],
  ['nel', 'Network Error Logging endpoint'],
  ['crons', 'Cron monitoring endpoint'],
  ['cdn', 'JavaScript loader script'],
  ['playstation', 'PlayStation endpoint'],
  ['integration', 'Integration endpoint'],
  ['otlp_traces', 'OpenTelemetry (OTLP) traces endpoint'],
  ['otlp_logs', 'OpenTelemetry (OTLP) logs endpoint'],
];

/** What a rotation in progress means for this key, in words. */
function rotationNote(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const successor = key.replacedBy && page.keys.find((k) => k.id === key.replacedBy);
  if (key.replacedBy && key.dateExpires) {
    const when = dateFormat.format(new Date(key.dateExpires));
    const ended = new Date(key.dateExpires).getTime() <= Date.now();
    return h(
      'p',
      { class: 'note rotation', 'data-rotation': 'replaced' },
      `${ended ? 'Replaced' : 'Being replaced'} by ${successor ? `“${successor.name}”` : key.replacedBy}: `,
      ended ? `its events are refused since ${when}.` : `it stops working at ${when}.`,
    );
  }
  if (key.replaces) {
    const previous = page.keys.find((k) => k.id === key.replaces);
    return h('p', { class: 'note rotation', 'data-rotation': 'replaces' }, `Replaces ${previous ? `“${previous.name}”` : key.replaces}.`);
  }
  return null;
}

/** Disable, Rename, Rotate and Delete, each disabled with the reason when the role does not allow it. */
function keyActions(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const { perms } = page;
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'button',
      'data-action': 'toggle',
      ...guarded(perms.canWrite, perms.writeNote),
      onclick: async () => {
        try {
          const updated = await page.update(key, { isActive: !key.isActive });
          page.replace(updated, 'toggle');
          announce(`Key ${updated.name} ${updated.isActive ? 'enabled' : 'disabled'}`);
        } catch (e) {
          announce(e instanceof Error ? e.message : String(e));
        }
      },
    },
    key.isActive ? 'Disable' : 'Enable',
  );
  const rename = h('button', { type: 'button', class: 'button', 'data-action': 'rename', ...guarded(perms.canWrite, perms.writeNote), onclick: () => renameDialog(page, rename, key) }, 'Rename');
  const rotating = Boolean(key.replacedBy) && key.dateExpires && new Date(key.dateExpires).getTime() > Date.now();
  const rotate = h(
    'button',
    {
      type: 'button',
      class: 'button',
      'data-action': 'rotate',
      ...(rotating ? { disabled: true, title: 'A rotation of this key is in progress' } : guarded(perms.canWrite, perms.writeNote)),
      onclick: () => rotateDialog(page, rotate, key),
    },
    'Rotate',
  );
  const remove = h(
    'button',
    {
      type: 'button',
      class: 'button danger',
      'data-action': 'delete',
      ...guarded(perms.canDelete, perms.canWrite ? perms.deleteNote : perms.writeNote),
      onclick: () => deleteDialog(page, remove, key),
    },
    'Delete',
  );
  return h('div', { class: 'key-actions' }, toggle, rename, rotate, remove);
}

/** Shows the "still in use" badge and alert once the key's health is known. */
function showHealth(/** @type {HTMLElement} */ card, /** @type {any} */ key, /** @type {Promise<import('./health.js').KeyHealth | undefined>} */ health) {
  health.then((report) => {
    const warning = stillInUse(key, report);
    if (!warning) return;
    card.querySelector('.key-header .badge')?.after(warning.badge);
    card.querySelector('.key-header')?.after(warning.alert);
  });
}

export function keyCard(/** @type {KeysPage} */ page, /** @type {any} */ key) {
  const headingId = uid('key');
  // One request per card, for the header's warning and the usage section alike.
  const health = loadHealth(page, key);
  const card = h(
    'article',
    { class: `key-card${key.isActive ? '' : ' is-disabled'}`, 'data-key': key.id, 'aria-labelledby': headingId },
    h(
      'header',
      { class: 'key-header' },
      h('h2', { id: headingId, tabindex: '-1' }, key.name),
      h('span', { class: `badge ${key.isActive ? 'badge-on' : 'badge-off'}` }, key.isActive ? 'Enabled' : 'Disabled'),
      keyActions(page, key),
    ),
    rotationNote(page, key),
    copyField('DSN', key.dsn.public, 'DSN'),
    h(
      'dl',
      { class: 'key-meta' },
      h('div', {}, h('dt', {}, 'Created'), h('dd', {}, timeElement(key.dateCreated))),
      h('div', {}, h('dt', {}, 'Rate limit'), h('dd', {}, rateLimitText(key))),
      h('div', {}, h('dt', {}, 'Loader script'), h('dd', {}, loaderText(key))),
      h('div', {}, h('dt', {}, 'Policy'), h('dd', { 'data-meta': 'policy' }, policyText(key))),
    ),
    h(
      'details',
      { 'data-section': 'dsns' },
      h('summary', {}, 'Other DSN URLs'),
      h('div', { class: 'details-body' }, OTHER_DSNS.filter(([field]) => key.dsn[field]).map(([field, label]) => copyField(label, key.dsn[field], label))),
    ),
    h('details', { 'data-section': 'rate-limit' }, h('summary', {}, 'Rate limit'), rateLimitForm(page, key)),
    h('details', { 'data-section': 'policy' }, h('summary', {}, 'Key policy'), policyForm(page, key)),
    h('details', { 'data-section': 'loader' }, h('summary', {}, 'Loader script'), loaderForm(page, key)),
    usageSection(page, key, health),
  );
  showHealth(card, key, health);
  return card;
}
