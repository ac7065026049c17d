// @ts-check
/**
 * The settings pages' entry: picks the page from the URL. Everything shown and changed goes
 * through clientkeys' API with the browser's session cookie (api.js), exactly as any other client.
 * No build step: these modules are served as they are (src/web/assets.ts lists them).
 */
import { api, base, enc, listAll } from './api.js';
import { append, clear, h } from './dom.js';
import { keysPage } from './keys-page.js';
import { failurePage, keysUrl, main, nav, whoami } from './shell.js';

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

const path = location.pathname.slice(base.length);
const keysMatch = /^\/settings\/([^/]+)\/projects\/([^/]+)\/keys\/$/.exec(path);
whoami();
if (keysMatch) keysPage(decodeURIComponent(keysMatch[1] ?? ''), decodeURIComponent(keysMatch[2] ?? ''));
else indexPage();
