// @ts-check
/**
 * The settings pages. Everything shown and changed goes through clientkeys' API with the browser's
 * session cookie, exactly as any other client: the API decides what the user may do, and the
 * page reads the same answer (the project's `access`) to grey out what would be refused.
 * Unsafe requests carry the session's CSRF token (from its cookie) in `X-CSRFToken`.
 */
import { usageChart, isStats, totals } from './chart.js';
import { append, clear, h, uid } from './dom.js';

const base = document.querySelector('meta[name="clientkeys-base"]')?.getAttribute('content') ?? '';
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('projects-nav'));
const announcer = /** @type {HTMLElement} */ (document.getElementById('announcer'));

/* ------------------------------------------------------------------ API */

class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    super(describeError(status, body));
    this.status = status;
    this.body = body;
  }
}

/** The session's CSRF token, from its cookie (`__Host-` prefixed over HTTPS). */
function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === '__Host-clientkeys_csrf' || name === 'clientkeys_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

/** A readable message from Sentry's error bodies: `{detail}`, DRF's field errors, or a bare string. */
function describeError(/** @type {number} */ status, /** @type {any} */ body) {
  if (typeof body === 'string') return body;
  if (body && typeof body.detail === 'string') return body.detail;
  if (body && typeof body === 'object') {
    /** @type {(v: any) => string} */
    const flat = (v) => (Array.isArray(v) ? v.join(' ') : typeof v === 'object' && v ? Object.values(v).map(flat).join(' ') : String(v));
    const parts = Object.entries(body).map(([field, messages]) => `${field}: ${flat(messages)}`);
    if (parts.length) return parts.join('; ');
  }
  return `The server answered ${status}.`;
}

/**
 * @param {string} method
 * @param {string} path under /api/0/
 * @param {unknown} [body]
 * @returns {Promise<{ json: any, link: string | null }>}
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRFToken'] = csrfToken();
  const response = await fetch(`${base}/api/0/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (response.status === 401) {
    // The session ended (expired, signed out elsewhere): sign in again and come back.
    location.assign(`${base}/auth/login/?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return { json, link: response.headers.get('link') };
}

/** Every page of a list, following the `Link` header's next cursor. */
async function listAll(/** @type {string} */ path) {
  const results = [];
  let cursor = '';
  for (let page = 0; page < 100; page += 1) {
    const separator = path.includes('?') ? '&' : '?';
    const { json, link } = await api('GET', cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path);
    results.push(...json);
    const next = /<[^>]*>;\s*rel="next";\s*results="true";\s*cursor="([^"]*)"/.exec(link ?? '');
    if (!next) break;
    cursor = next[1] ?? '';
  }
  return results;
}

const enc = encodeURIComponent;

/* -------------------------------------------------------------- helpers */

function announce(/** @type {string} */ message) {
  announcer.textContent = '';
  // A fresh text node after a tick is announced even when the message repeats.
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const WINDOWS = [
  [60, '1 minute'],
  [300, '5 minutes'],
  [900, '15 minutes'],
  [3600, '1 hour'],
  [21600, '6 hours'],
  [86400, '1 day'],
];

function windowLabel(/** @type {number} */ seconds) {
  const known = WINDOWS.find(([value]) => value === seconds);
  return known ? String(known[1]) : `${seconds} seconds`;
}

function rateLimitText(/** @type {any} */ key) {
  return key.rateLimit ? `${key.rateLimit.count} events per ${windowLabel(key.rateLimit.window)}` : 'No limit';
}

const LOADER_OPTIONS = [
  ['hasPerformance', 'Performance monitoring (tracing)'],
  ['hasReplay', 'Session Replay'],
  ['hasDebug', 'Debug bundles and logging'],
  ['hasFeedback', 'User Feedback'],
  ['hasLogsAndMetrics', 'Logs and metrics'],
];

function loaderText(/** @type {any} */ key) {
  const on = LOADER_OPTIONS.filter(([field]) => key.dynamicSdkLoaderOptions?.[field]).map(([, label]) => label);
  return `SDK ${key.browserSdkVersion}${on.length ? ` with ${on.join(', ')}` : ''}`;
}

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
function copyField(/** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ what) {
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

function errorLine() {
  return h('p', { class: 'field-error', role: 'alert', hidden: true });
}

function showError(/** @type {HTMLElement} */ line, /** @type {unknown} */ error) {
  line.textContent = error instanceof Error ? error.message : String(error);
  line.hidden = false;
}

/* ---------------------------------------------------------------- pages */

async function whoami() {
  const signout = /** @type {HTMLInputElement | null} */ (document.getElementById('signout-csrf'));
  if (signout) signout.value = csrfToken();
  try {
    const { json } = await api('GET', '');
    const who = document.getElementById('whoami');
    if (who && json?.user) who.textContent = json.user.email;
  } catch {
    // Only decoration; the page itself reports errors.
  }
}

function failurePage(/** @type {string} */ title, /** @type {unknown} */ error) {
  clear(main);
  const status = error instanceof ApiError ? error.status : 0;
  const message =
    status === 403
      ? 'You do not have access to this. Ask an owner of the organization to add you to one of its teams.'
      : status === 404
        ? 'There is no such organization or project.'
        : error instanceof Error
          ? error.message
          : String(error);
  append(main, [h('h1', {}, title), h('p', { class: 'alert', role: 'alert' }, message)]);
}

/** `/settings/`: every organization of the user, with its projects. */
async function indexPage() {
  document.title = 'Projects · clientkeys';
  nav.hidden = true;
  try {
    const organizations = await listAll('organizations/?per_page=100');
    clear(main);
    append(main, [h('h1', {}, 'Projects'), h('p', { class: 'intro' }, "Choose a project to manage its client keys (DSNs).")]);
    if (organizations.length === 0) {
      append(main, h('p', { class: 'empty' }, 'You are not a member of any organization yet. An owner adds you with ', h('code', {}, 'clientkeys member add'), '.'));
    }
    for (const org of organizations) {
      const projects = await api('GET', `organizations/${enc(org.slug)}/projects/?all_projects=1`).then((r) => r.json, () => []);
      append(main, [
        h('h2', {}, org.name),
        projects.length
          ? h('ul', { class: 'project-list' }, projects.map((/** @type {any} */ p) => h('li', {}, h('a', { href: keysUrl(org.slug, p.slug) }, p.name))))
          : h('p', { class: 'empty' }, 'No projects yet.'),
      ]);
    }
  } catch (error) {
    failurePage('Projects', error);
  }
}

function keysUrl(/** @type {string} */ org, /** @type {string} */ project) {
  return `${base}/settings/${enc(org)}/projects/${enc(project)}/keys/`;
}

/** The project list in the sidebar: switch projects without leaving the page's kind. */
function renderProjectNav(/** @type {string} */ orgSlug, /** @type {any[]} */ projects, /** @type {string} */ current) {
  clear(nav);
  append(nav, [
    h('h2', { class: 'nav-title', id: 'nav-title' }, 'Projects'),
    h(
      'ul',
      { 'aria-labelledby': 'nav-title' },
      projects.map((p) =>
        h('li', {}, h('a', { href: keysUrl(orgSlug, p.slug), 'aria-current': p.slug === current ? 'page' : undefined }, p.name)),
      ),
    ),
  ]);
}

/* ------------------------------------------------------------ keys page */

/** @typedef {{ canWrite: boolean, canDelete: boolean, writeNote: string, deleteNote: string }} Permissions */

/**
 * @param {string} orgSlug
 * @param {string} projectSlug
 */
async function keysPage(orgSlug, projectSlug) {
  const keysPath = `projects/${enc(orgSlug)}/${enc(projectSlug)}/keys/`;
  let project;
  /** @type {any[]} */
  let keys;
  try {
    [project, keys] = await Promise.all([
      api('GET', `projects/${enc(orgSlug)}/${enc(projectSlug)}/`).then((r) => r.json),
      listAll(`${keysPath}?per_page=100`),
    ]);
  } catch (error) {
    failurePage('Client Keys (DSN)', error);
    return;
  }
  document.title = `Client Keys (DSN) · ${project.name} · clientkeys`;
  api('GET', `organizations/${enc(orgSlug)}/projects/?all_projects=1`).then(
    (r) => renderProjectNav(orgSlug, r.json, project.slug),
    () => {
      nav.hidden = true;
    },
  );

  // What the API will allow, as the API itself reports it (Sentry's project `access`).
  const access = new Set(project.access ?? []);
  /** @type {Permissions} */
  const perms = {
    canWrite: access.has('project:write'),
    canDelete: access.has('project:admin'),
    writeNote: 'perm-write',
    deleteNote: 'perm-delete',
  };

  clear(main);
  const list = h('div', { class: 'key-list' });
  const newKey = h(
    'button',
    {
      type: 'button',
      class: 'button primary',
      id: 'new-key',
      disabled: !perms.canWrite,
      'aria-describedby': perms.canWrite ? undefined : perms.writeNote,
      title: perms.canWrite ? undefined : 'You need the project:write permission to create keys',
      onclick: () => createDialog(newKey),
    },
    'New Key',
  );
  append(main, [
    h(
      'div',
      { class: 'page-header' },
      h('div', {}, h('p', { class: 'breadcrumbs' }, `${project.organization?.name ?? orgSlug} / ${project.name}`), h('h1', {}, 'Client Keys (DSN)')),
      newKey,
    ),
    h(
      'p',
      { class: 'intro' },
      'SDKs send events to this project with a client key: configure them with its DSN (the SENTRY_DSN value). ',
      'Disable a key to refuse its events without deleting it; a disabled or deleted key stops working at once.',
    ),
    perms.canWrite
      ? null
      : h(
          'p',
          { class: 'note', id: perms.writeNote },
          'Your role lets you see these keys but not change them. Creating, renaming, enabling, disabling and editing keys needs the project:write permission ',
          '(the Owner, Manager or Admin role, or Team Admin of one of the project\'s teams); deleting them needs project:admin.',
        ),
    perms.canWrite && !perms.canDelete
      ? h('p', { class: 'note', id: perms.deleteNote }, 'Deleting keys needs the project:admin permission, which your role does not have.')
      : null,
    list,
  ]);

  const render = () => {
    clear(list);
    if (keys.length === 0) {
      append(list, emptyProject(perms));
      return;
    }
    for (const key of keys) list.append(keyCard(key));
  };

  /** Replace one key's card, keeping which sections were open and where the focus was. */
  const replace = (/** @type {any} */ key, /** @type {string | undefined} */ focusAction) => {
    const index = keys.findIndex((k) => k.id === key.id);
    if (index >= 0) keys[index] = key;
    const old = list.querySelector(`[data-key="${CSS.escape(key.id)}"]`);
    const card = keyCard(key);
    if (!old) return render();
    old.querySelectorAll('details[open]').forEach((d) => {
      card.querySelector(`details[data-section="${d.getAttribute('data-section')}"]`)?.setAttribute('open', '');
    });
    old.replaceWith(card);
    if (focusAction) /** @type {HTMLElement | null} */ (card.querySelector(`[data-action="${focusAction}"]`))?.focus();
  };

  const update = async (/** @type {any} */ key, /** @type {Record<string, unknown>} */ body) => {
    const { json } = await api('PUT', `${keysPath}${enc(key.id)}/`, body);
    return json;
  };

  function createDialog(/** @type {HTMLElement} */ opener) {
    openDialog(opener, 'New Key', (dialog) => {
      const id = uid('new-key-name');
      const error = errorLine();
      const form = h(
        'form',
        {
          class: 'dialog-form',
          onsubmit: async (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            const name = /** @type {HTMLInputElement} */ (form.querySelector('input')).value.trim();
            try {
              const { json } = await api('POST', keysPath, name ? { name } : {});
              keys.unshift(json);
              render();
              dialog.close();
              announce(`Key ${json.name} created`);
              /** @type {HTMLElement | null} */ (list.querySelector(`[data-key="${CSS.escape(json.id)}"] h2`))?.focus();
            } catch (e) {
              showError(error, e);
            }
          },
        },
        h('div', { class: 'field' }, h('label', { for: id }, 'Name'), h('input', { id, name: 'name', type: 'text', maxlength: 64, autocomplete: 'off', placeholder: 'e.g. Web frontend' })),
        h('p', { class: 'hint' }, 'Leave it empty for a generated name. The key gets its own DSN at once.'),
        error,
        dialogActions(dialog, 'Create Key'),
      );
      return form;
    });
  }

  function renameDialog(/** @type {HTMLElement} */ opener, /** @type {any} */ key) {
    openDialog(opener, 'Rename key', (dialog) => {
      const id = uid('rename');
      const error = errorLine();
      const form = h(
        'form',
        {
          class: 'dialog-form',
          onsubmit: async (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            const name = /** @type {HTMLInputElement} */ (form.querySelector('input')).value.trim();
            try {
              const updated = await update(key, { name });
              dialog.close();
              replace(updated, 'rename');
              announce(`Key renamed to ${updated.name}`);
            } catch (e) {
              showError(error, e);
            }
          },
        },
        h('div', { class: 'field' }, h('label', { for: id }, 'Name'), h('input', { id, name: 'name', type: 'text', maxlength: 64, required: true, value: key.name, autocomplete: 'off' })),
        error,
        dialogActions(dialog, 'Save name'),
      );
      return form;
    });
  }

  function deleteDialog(/** @type {HTMLElement} */ opener, /** @type {any} */ key) {
    openDialog(opener, `Delete key “${key.name}”?`, (dialog) => {
      const error = errorLine();
      const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');
      const body = h(
        'div',
        { class: 'dialog-form' },
        h('p', {}, 'Events sent with its DSN are refused as soon as it is deleted, and the DSN cannot be restored. To stop it for a while, disable it instead.'),
        error,
        h(
          'div',
          { class: 'dialog-actions' },
          cancel,
          h(
            'button',
            {
              type: 'button',
              class: 'button danger',
              onclick: async () => {
                try {
                  await api('DELETE', `${keysPath}${enc(key.id)}/`);
                  keys = keys.filter((k) => k.id !== key.id);
                  render();
                  dialog.close();
                  announce(`Key ${key.name} deleted`);
                  newKey.focus();
                } catch (e) {
                  showError(error, e);
                }
              },
            },
            'Delete key',
          ),
        ),
      );
      // The safe choice has the focus.
      queueMicrotask(() => cancel.focus());
      return body;
    });
  }

  function rotateDialog(/** @type {HTMLElement} */ opener, /** @type {any} */ key) {
    openDialog(opener, `Rotate key “${key.name}”`, (dialog) => {
      const id = uid('overlap');
      const error = errorLine();
      const form = h(
        'form',
        {
          class: 'dialog-form',
          onsubmit: async (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            const overlapSeconds = Number(/** @type {HTMLSelectElement} */ (form.querySelector('select')).value);
            try {
              const { json: successor } = await api('POST', `${keysPath}${enc(key.id)}/rotate/`, { overlapSeconds });
              const { json: previous } = await api('GET', `${keysPath}${enc(key.id)}/`);
              keys = keys.map((k) => (k.id === previous.id ? previous : k));
              keys.unshift(successor);
              render();
              dialog.close();
              announce(`Key ${successor.name} created; ${previous.name} stops ${overlapSeconds === 0 ? 'now' : `at ${dateFormat.format(new Date(previous.dateExpires))}`}`);
              /** @type {HTMLElement | null} */ (list.querySelector(`[data-key="${CSS.escape(successor.id)}"] h2`))?.focus();
            } catch (e) {
              showError(error, e);
            }
          },
        },
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
          h(
            'select',
            { id, name: 'overlapSeconds' },
            [
              ['0', 'No overlap: stop it now'],
              ['3600', '1 hour'],
              ['86400', '1 day'],
              ['604800', '7 days'],
              ['2592000', '30 days'],
            ].map(([value, label]) => h('option', { value, ...(value === '86400' ? { selected: true } : {}) }, label)),
          ),
        ),
        error,
        dialogActions(dialog, 'Rotate key'),
      );
      return form;
    });
  }

  /** What a rotation in progress means for this key, in words. */
  function rotationNote(/** @type {any} */ key) {
    const successor = key.replacedBy && keys.find((k) => k.id === key.replacedBy);
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
      const previous = keys.find((k) => k.id === key.replaces);
      return h('p', { class: 'note rotation', 'data-rotation': 'replaces' }, `Replaces ${previous ? `“${previous.name}”` : key.replaces}.`);
    }
    return null;
  }

  /** A write control, disabled with the reason when the user may not use it. */
  const guarded = (/** @type {boolean} */ allowed, /** @type {string} */ note) =>
    allowed ? {} : { disabled: true, 'aria-describedby': note, title: 'Your role does not allow this' };

  function keyCard(/** @type {any} */ key) {
    const headingId = uid('key');
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'button',
        'data-action': 'toggle',
        ...guarded(perms.canWrite, perms.writeNote),
        onclick: async () => {
          try {
            const updated = await update(key, { isActive: !key.isActive });
            replace(updated, 'toggle');
            announce(`Key ${updated.name} ${updated.isActive ? 'enabled' : 'disabled'}`);
          } catch (e) {
            announce(e instanceof Error ? e.message : String(e));
          }
        },
      },
      key.isActive ? 'Disable' : 'Enable',
    );
    const rename = h('button', { type: 'button', class: 'button', 'data-action': 'rename', ...guarded(perms.canWrite, perms.writeNote), onclick: () => renameDialog(rename, key) }, 'Rename');
    const rotating = Boolean(key.replacedBy) && key.dateExpires && new Date(key.dateExpires).getTime() > Date.now();
    const rotate = h(
      'button',
      {
        type: 'button',
        class: 'button',
        'data-action': 'rotate',
        ...(rotating ? { disabled: true, title: 'A rotation of this key is in progress' } : guarded(perms.canWrite, perms.writeNote)),
        onclick: () => rotateDialog(rotate, key),
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
        onclick: () => deleteDialog(remove, key),
      },
      'Delete',
    );

    const card = h(
      'article',
      { class: `key-card${key.isActive ? '' : ' is-disabled'}`, 'data-key': key.id, 'aria-labelledby': headingId },
      h(
        'header',
        { class: 'key-header' },
        h('h2', { id: headingId, tabindex: '-1' }, key.name),
        h('span', { class: `badge ${key.isActive ? 'badge-on' : 'badge-off'}` }, key.isActive ? 'Enabled' : 'Disabled'),
        h('div', { class: 'key-actions' }, toggle, rename, rotate, remove),
      ),
      rotationNote(key),
      copyField('DSN', key.dsn.public, 'DSN'),
      h(
        'dl',
        { class: 'key-meta' },
        h('div', {}, h('dt', {}, 'Created'), h('dd', {}, h('time', { datetime: key.dateCreated }, dateFormat.format(new Date(key.dateCreated))))),
        h('div', {}, h('dt', {}, 'Rate limit'), h('dd', {}, rateLimitText(key))),
        h('div', {}, h('dt', {}, 'Loader script'), h('dd', {}, loaderText(key))),
      ),
      h(
        'details',
        { 'data-section': 'dsns' },
        h('summary', {}, 'Other DSN URLs'),
        h('div', { class: 'details-body' }, OTHER_DSNS.filter(([field]) => key.dsn[field]).map(([field, label]) => copyField(label, key.dsn[field], label))),
      ),
      h('details', { 'data-section': 'rate-limit' }, h('summary', {}, 'Rate limit'), rateLimitForm(key)),
      h('details', { 'data-section': 'loader' }, h('summary', {}, 'Loader script'), loaderForm(key)),
      usageSection(key),
    );
    return card;
  }

  function rateLimitForm(/** @type {any} */ key) {
    const countId = uid('rl-count');
    const windowId = uid('rl-window');
    const error = errorLine();
    const current = key.rateLimit;
    const windows = WINDOWS.some(([value]) => value === current?.window) || !current ? WINDOWS : [...WINDOWS, [current.window, windowLabel(current.window)]];
    const write = guarded(perms.canWrite, perms.writeNote);
    const save = async (/** @type {Record<string, unknown>} */ body, /** @type {string} */ message) => {
      try {
        const updated = await update(key, body);
        replace(updated, 'save-rate-limit');
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

  function loaderForm(/** @type {any} */ key) {
    const versionId = uid('sdk-version');
    const error = errorLine();
    const write = guarded(perms.canWrite, perms.writeNote);
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
            const updated = await update(key, { browserSdkVersion: data.get('browserSdkVersion'), dynamicSdkLoaderOptions: options });
            replace(updated, 'save-loader');
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

  function usageSection(/** @type {any} */ key) {
    const headingId = uid('usage');
    const body = h('div', { class: 'usage-body' }, h('p', { class: 'loading' }, 'Loading usage…'));
    const section = h('section', { class: 'usage', 'aria-labelledby': headingId }, h('h3', { id: headingId }, 'Usage, last 24 hours'), body);
    loadStats(key).then((points) => {
      clear(body);
      if (points && totals(points).accepted + totals(points).dropped > 0) body.append(usageChart(points, `Events for key ${key.name} in the last 24 hours`));
      else append(body, firstEvent(key, points === undefined));
    });
    return section;
  }

  /** The key's stats (Sentry's key stats endpoint); undefined when this server has none. */
  async function loadStats(/** @type {any} */ key) {
    const until = Math.floor(Date.now() / 1000);
    try {
      const { json } = await limited(() => api('GET', `${keysPath}${enc(key.id)}/stats/?since=${until - 86400}&until=${until}&resolution=1h`));
      return isStats(json) ? json : undefined;
    } catch {
      return undefined;
    }
  }

  render();
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

function emptyProject(/** @type {Permissions} */ perms) {
  return h(
    'div',
    { class: 'empty-state' },
    h('h2', {}, 'No client keys'),
    h('p', {}, 'SDKs need a client key to send events to this project. ', perms.canWrite ? 'Create one with New Key, then configure your SDK with its DSN.' : 'Ask an owner or manager of the organization to create one.'),
  );
}

/* Stats requests a few at a time, so a project with many keys does not hit the API's rate limit. */
let running = 0;
/** @type {Array<() => void>} */
const waiting = [];
async function limited(/** @type {() => Promise<any>} */ task) {
  if (running >= 4) await new Promise((resolve) => waiting.push(() => resolve(undefined)));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/* ---------------------------------------------------------------- start */

const path = location.pathname.slice(base.length);
const keysMatch = /^\/settings\/([^/]+)\/projects\/([^/]+)\/keys\/$/.exec(path);
whoami();
if (keysMatch) keysPage(decodeURIComponent(keysMatch[1] ?? ''), decodeURIComponent(keysMatch[2] ?? ''));
else indexPage();
