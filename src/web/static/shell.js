// @ts-check
/**
 * The parts of the settings shell every page uses (templates.ts' `settingsShell`): the main area,
 * the project list, the screen reader announcer, who is signed in, and how a page says it failed.
 */
import { api, ApiError, base, csrfToken, enc } from './api.js';
import { append, clear, h } from './dom.js';

export const main = /** @type {HTMLElement} */ (document.getElementById('main'));
export const nav = /** @type {HTMLElement} */ (document.getElementById('projects-nav'));
const announcer = /** @type {HTMLElement} */ (document.getElementById('announcer'));

export function announce(/** @type {string} */ message) {
  announcer.textContent = '';
  // A fresh text node after a tick is announced even when the message repeats.
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

export async function whoami() {
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

export function failurePage(/** @type {string} */ title, /** @type {unknown} */ error) {
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

export function keysUrl(/** @type {string} */ org, /** @type {string} */ project) {
  return `${base}/settings/${enc(org)}/projects/${enc(project)}/keys/`;
}

/** The project list in the sidebar: switch projects without leaving the page's kind. */
export function renderProjectNav(/** @type {string} */ orgSlug, /** @type {any[]} */ projects, /** @type {string} */ current) {
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
