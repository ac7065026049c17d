/**
 * The settings pages (Sentry's URLs): `/settings/` (the organizations and projects one can open)
 * and `/settings/{org}/projects/{project}/keys/` (a project's client keys), with their static
 * files. The server only checks that a browser is signed in and sends the page; the page's script
 * reads and changes everything through the API, with the user's own permissions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Asset } from '../web/assets.ts';
import { basePath } from '../web/paths.ts';
import { settingsShell } from '../web/templates.ts';
import type { WebOptions } from './sign-in.ts';

const hide = { schema: { hide: true } };

const MAX_PAGE_URL = 2048;

export async function settingsPageRoutes(app: FastifyInstance, { services, config, cookies, assets }: WebOptions & { assets: ReadonlyMap<string, Asset> }) {
  const base = basePath(config.publicUrl);

  /**
   * Signed-in browsers get the page; anyone else goes to sign in, and comes back here after. No
   * page has a URL anywhere near this long; echoing one into a redirect would make headers too
   * large for clients to read.
   */
  const page = (title: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.length > MAX_PAGE_URL) return reply.callNotFound();
    const session = await services.sessions.resolve(cookies.sessionToken(request));
    if (!session) return reply.redirect(`${base}/auth/login/?next=${encodeURIComponent(base + request.url)}`, 302);
    return reply.type('text/html; charset=utf-8').send(settingsShell(base, title));
  };

  /** Django's APPEND_SLASH for pages (the API never redirects). */
  const appendSlash = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.length > MAX_PAGE_URL) return reply.callNotFound();
    const [path, query] = request.url.split(/\?(.*)/s) as [string, string?];
    return reply.redirect(`${base}${path}/${query ? `?${query}` : ''}`, 301);
  };

  app.get('/', hide, async (_request, reply) => reply.redirect(`${base}/settings/`, 302));
  app.get('/settings', hide, appendSlash);
  app.get('/settings/', hide, page('Projects'));
  app.get('/settings/:org/projects/:project/keys', hide, appendSlash);
  app.get('/settings/:org/projects/:project/keys/', hide, page('Client Keys (DSN)'));

  app.get('/_static/:name', hide, async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.code(404).send({ detail: 'Not found' });
    // Revalidated on every load (cheap with the ETag), so a new version is used at once.
    reply.header('cache-control', 'no-cache').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  });
}
