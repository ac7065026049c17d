// @ts-check
/**
 * `/settings/{org}/projects/{project}/keys/`: every key of a project as a card. The API decides
 * what the user may do, and the page reads the same answer (the project's `access`) to grey out
 * what would be refused.
 */
import { api, enc, listAll } from './api.js';
import { createDialog } from './dialogs.js';
import { append, clear, h } from './dom.js';
import { keyCard } from './key-card.js';
import { failurePage, main, nav, renderProjectNav } from './shell.js';
import { upstreamSection } from './upstream.js';

/** @typedef {import('./widgets.js').KeysPage} KeysPage */
/** @typedef {import('./widgets.js').Permissions} Permissions */

/** What the API will allow, as the API itself reports it (Sentry's project `access`). */
function permissions(/** @type {any} */ project) {
  const access = new Set(project.access ?? []);
  /** @type {Permissions} */
  const perms = {
    canWrite: access.has('project:write'),
    canDelete: access.has('project:admin'),
    canAdmin: access.has('project:admin'),
    writeNote: 'perm-write',
    deleteNote: 'perm-delete',
  };
  return perms;
}

function permissionNotes(/** @type {Permissions} */ perms) {
  return [
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

/**
 * @param {string} orgSlug
 * @param {string} projectSlug
 */
export async function keysPage(orgSlug, projectSlug) {
  const projectPath = `projects/${enc(orgSlug)}/${enc(projectSlug)}/`;
  const keysPath = `${projectPath}keys/`;
  let project;
  /** @type {any[]} */
  let keys;
  try {
    [project, keys] = await Promise.all([api('GET', projectPath).then((r) => r.json), listAll(`${keysPath}?per_page=100`)]);
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

  const perms = permissions(project);
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
      onclick: () => createDialog(page, newKey),
    },
    'New Key',
  );

  /** @type {KeysPage} */
  const page = {
    orgSlug,
    projectSlug,
    projectPath,
    keysPath,
    perms,
    keys,
    list,
    newKey,
    render() {
      clear(list);
      if (page.keys.length === 0) {
        append(list, emptyProject(perms));
        return;
      }
      for (const key of page.keys) list.append(keyCard(page, key));
    },
    // Keeps which sections were open and where the focus was.
    replace(key, focusAction) {
      const index = page.keys.findIndex((k) => k.id === key.id);
      if (index >= 0) page.keys[index] = key;
      const old = list.querySelector(`[data-key="${CSS.escape(key.id)}"]`);
      const card = keyCard(page, key);
      if (!old) return page.render();
      old.querySelectorAll('details[open]').forEach((d) => {
        card.querySelector(`details[data-section="${d.getAttribute('data-section')}"]`)?.setAttribute('open', '');
      });
      old.replaceWith(card);
      if (focusAction) /** @type {HTMLElement | null} */ (card.querySelector(`[data-action="${focusAction}"]`))?.focus();
    },
    async update(key, body) {
      const { json } = await api('PUT', `${keysPath}${enc(key.id)}/`, body);
      return json;
    },
  };

  clear(main);
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
    permissionNotes(perms),
    list,
    upstreamSection(page),
  ]);
  page.render();
}
