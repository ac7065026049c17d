// @ts-check
/** The keys page's dialogs: create, rename, delete and rotate a key. */
import { api, enc } from './api.js';
import { append, h, uid } from './dom.js';
import { announce } from './shell.js';
import { dateFormat, errorLine, showError } from './widgets.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */

/** A modal dialog (native <dialog>: focus stays inside, Escape closes) that returns focus to `opener`. */
function openDialog(/** @type {HTMLElement} */ opener, /** @type {string} */ title, /** @type {(dialog: HTMLDialogElement, titleId: string) => HTMLElement} */ content) {
  const titleId = uid('dialog-title');
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { 'aria-labelledby': titleId, class: 'dialog' }));
  append(dialog, [h('h2', { id: titleId }, title), content(dialog, titleId)]);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** A form dialog's buttons: Cancel, and the submit button saying what it does. */
function dialogActions(/** @type {HTMLDialogElement} */ dialog, /** @type {string} */ submitLabel) {
  return h(
    'div',
    { class: 'dialog-actions' },
    h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'),
    h('button', { type: 'submit', class: 'button primary' }, submitLabel),
  );
}

/**
 * A dialog whose body is a form: `fields`, an error line, Cancel and the submit button. On submit,
 * `submit` runs with the form; what it throws is shown in the error line and the dialog stays open.
 */
function formDialog(
  /** @type {HTMLElement} */ opener,
  /** @type {string} */ title,
  /** @type {string} */ submitLabel,
  /** @type {(id: string) => unknown[]} */ fields,
  /** @type {(form: HTMLElement, dialog: HTMLDialogElement) => Promise<void>} */ submit,
) {
  openDialog(opener, title, (dialog) => {
    const error = errorLine();
    const form = h(
      'form',
      {
        class: 'dialog-form',
        onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          try {
            await submit(form, dialog);
          } catch (e) {
            showError(error, e);
          }
        },
      },
      fields(uid('field')),
      error,
      dialogActions(dialog, submitLabel),
    );
    return form;
  });
}

/** The trimmed text of a form's (first) input. */
const inputText = (/** @type {HTMLElement} */ form) => /** @type {HTMLInputElement} */ (form.querySelector('input')).value.trim();

/** Focus the heading of a key's card, e.g. after creating it. */
function focusCard(/** @type {KeysPage} */ page, /** @type {string} */ keyId) {
  /** @type {HTMLElement | null} */ (page.list.querySelector(`[data-key="${CSS.escape(keyId)}"] h2`))?.focus();
}

export function createDialog(/** @type {KeysPage} */ page, /** @type {HTMLElement} */ opener) {
  formDialog(
    opener,
    'New Key',
    'Create Key',
    (id) => [
      h('div', { class: 'field' }, h('label', { for: id }, 'Name'), h('input', { id, name: 'name', type: 'text', maxlength: 64, autocomplete: 'off', placeholder: 'e.g. Web frontend' })),
      h('p', { class: 'hint' }, 'Leave it empty for a generated name. The key gets its own DSN at once.'),
    ],
    async (form, dialog) => {
      const name = inputText(form);
      const { json } = await api('POST', page.keysPath, name ? { name } : {});
      page.keys.unshift(json);
      page.render();
      dialog.close();
      announce(`Key ${json.name} created`);
      focusCard(page, json.id);
    },
  );
}

export function renameDialog(/** @type {KeysPage} */ page, /** @type {HTMLElement} */ opener, /** @type {any} */ key) {
  formDialog(
    opener,
    'Rename key',
    'Save name',
    (id) => [
      h('div', { class: 'field' }, h('label', { for: id }, 'Name'), h('input', { id, name: 'name', type: 'text', maxlength: 64, required: true, value: key.name, autocomplete: 'off' })),
    ],
    async (form, dialog) => {
      const updated = await page.update(key, { name: inputText(form) });
      dialog.close();
      page.replace(updated, 'rename');
      announce(`Key renamed to ${updated.name}`);
    },
  );
}

export function deleteDialog(/** @type {KeysPage} */ page, /** @type {HTMLElement} */ opener, /** @type {any} */ key) {
  openDialog(opener, `Delete key “${key.name}”?`, (dialog) => {
    const error = errorLine();
    const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');
    const remove = async () => {
      try {
        await api('DELETE', `${page.keysPath}${enc(key.id)}/`);
        page.keys = page.keys.filter((k) => k.id !== key.id);
        page.render();
        dialog.close();
        announce(`Key ${key.name} deleted`);
        page.newKey.focus();
      } catch (e) {
        showError(error, e);
      }
    };
    const body = h(
      'div',
      { class: 'dialog-form' },
      h('p', {}, 'Events sent with its DSN are refused as soon as it is deleted, and the DSN cannot be restored. To stop it for a while, disable it instead.'),
      error,
      h('div', { class: 'dialog-actions' }, cancel, h('button', { type: 'button', class: 'button danger', onclick: remove }, 'Delete key')),
    );
    // The safe choice has the focus.
    queueMicrotask(() => cancel.focus());
    return body;
  });
}

const OVERLAPS = [
  ['0', 'No overlap: stop it now'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
];

export function rotateDialog(/** @type {KeysPage} */ page, /** @type {HTMLElement} */ opener, /** @type {any} */ key) {
  formDialog(
    opener,
    `Rotate key “${key.name}”`,
    'Rotate key',
    (id) => [
      h(
        'p',
        {},
        'A new key with the same name, rate limit and loader options replaces this one. ',
        'Deploy the new DSN; the old one keeps working until the overlap ends, then its events are refused.',
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: id }, 'Old key keeps working for'),
        h('select', { id, name: 'overlapSeconds' }, OVERLAPS.map(([value, label]) => h('option', { value, ...(value === '86400' ? { selected: true } : {}) }, label))),
      ),
    ],
    async (form, dialog) => {
      const overlapSeconds = Number(/** @type {HTMLSelectElement} */ (form.querySelector('select')).value);
      const { json: successor } = await api('POST', `${page.keysPath}${enc(key.id)}/rotate/`, { overlapSeconds });
      const { json: previous } = await api('GET', `${page.keysPath}${enc(key.id)}/`);
      page.keys = page.keys.map((k) => (k.id === previous.id ? previous : k));
      page.keys.unshift(successor);
      page.render();
      dialog.close();
      announce(`Key ${successor.name} created; ${previous.name} stops ${overlapSeconds === 0 ? 'now' : `at ${dateFormat.format(new Date(previous.dateExpires))}`}`);
      focusCard(page, successor.id);
    },
  );
}
