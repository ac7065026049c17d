/**
 * `/js-sdk-loader/{public_key}.js` and `.min.js` (S:src/sentry/web/frontend/js_sdk_loader.py):
 * always a 200 script with Sentry's cache headers: the loader for an active key, a no-op for an
 * unknown or disabled key or when no SDK URL is configured. Keys come from the ingest key map.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { DEFAULT_BROWSER_SDK_VERSION } from '../domain/keys.ts';
import { loaderBundle, sdkUrl } from '../loader/bundle.ts';
import { loaderScript, minifiedLoaderScript, NOOP_LOADER_SCRIPT } from '../loader/script.ts';
import { selectSdkVersion } from '../loader/sdk-version.ts';
import type { Services } from '../services/index.ts';

const CACHE_CONTROL = 'public, max-age=3600, s-maxage=60, stale-while-revalidate=315360000, stale-if-error=315360000';
/** Sentry's URL pattern: the key, then `.min` for the minified loader, then `.js`. */
const FILE = /^([^/.]+)(\.min)?\.js$/;

export async function jsSdkLoaderRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  app.get('/js-sdk-loader/:file', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const match = FILE.exec((request.params as { file: string }).file);
    if (!match) return reply.code(404).send({ detail: 'Not found' });
    const [, publicKey = '', minified] = match;
    reply.type('text/javascript').header('access-control-allow-origin', '*').header('cache-control', CACHE_CONTROL);

    const found = services.ingest.parts.keys.get(publicKey);
    const key = found instanceof Promise ? await found : found;
    if (!key || !key.active || !config.loader.sdkUrl) return reply.send(NOOP_LOADER_SCRIPT);

    const version = selectSdkVersion(key.data.browserSdkVersion || DEFAULT_BROWSER_SDK_VERSION);
    const dsn = await services.organizations.dsnSettings(key.organizationId);
    const bundle = loaderBundle(version, key.data, services.keySerializer.publicDsn(key.publicKey, key.projectId, dsn));
    const context = {
      publicKey: key.publicKey,
      jsSdkUrl: sdkUrl(config.loader.sdkUrl, version, bundle.modifier),
      config: bundle.config,
      isLazy: bundle.isLazy,
    };
    reply.header('surrogate-key', `project/${key.projectId} sdk/${version} sdk-loader`);
    return reply.send(minified ? minifiedLoaderScript(context) : loaderScript(context));
  });
}
