/**
 * `/js-sdk-loader/{public_key}.js` and `.min.js` (S:src/sentry/web/frontend/js_sdk_loader.py):
 * always a 200 script with Sentry's cache headers: the loader for a live key (or the live successor
 * of a rotated one), a no-op for an unknown or disabled key or when JS_SDK_LOADER_SDK_URL is empty.
 * What the loader loads is decided in src/loader/resolve.ts; keys come from the ingest key map.
 * The SDK bundles it loads by default are this server's own, under /js-sdk/ (js-sdk-bundles.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { resolveLoader, type LoaderSources } from '../loader/resolve.ts';
import { loaderScript, minifiedLoaderScript, NOOP_LOADER_SCRIPT } from '../loader/script.ts';
import { loadSdkAssets } from '../loader/sdk-assets.ts';
import type { Services } from '../services/index.ts';
import { jsSdkBundleRoutes } from './js-sdk-bundles.ts';

const CACHE_CONTROL = 'public, max-age=3600, s-maxage=60, stale-while-revalidate=315360000, stale-if-error=315360000';
/** Sentry's URL pattern: the key, then `.min` for the minified loader, then `.js`. */
const FILE = /^([^/.]+)(\.min)?\.js$/;

export async function jsSdkLoaderRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const assets = await loadSdkAssets();
  const keys = services.ingest.parts.keys;
  const sources: LoaderSources = {
    key: (publicKey) => keys.get(publicKey),
    // The key's public DSN, on its organization's Relay when it set one (getsentry/sentry#118707).
    dsn: async (key) => services.keySerializer.publicDsn(key.publicKey, key.projectId, await services.organizations.dsnSettings(key.organizationId)),
    sdkUrl: config.loader.sdkUrl,
    publicUrl: config.publicUrl,
    assets,
    now: Date.now,
  };

  app.get('/js-sdk-loader/:file', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const match = FILE.exec((request.params as { file: string }).file);
    if (!match) return reply.code(404).send({ detail: 'Not found' });
    const [, publicKey = '', minified] = match;
    reply.type('text/javascript').header('access-control-allow-origin', '*').header('cache-control', CACHE_CONTROL);

    const answer = await resolveLoader(publicKey, sources);
    if (answer.kind === 'noop') return reply.send(NOOP_LOADER_SCRIPT);
    reply.header('surrogate-key', answer.surrogateKey);
    return reply.send(minified ? minifiedLoaderScript(answer.context) : loaderScript(answer.context));
  });

  await app.register(jsSdkBundleRoutes, { assets });
}
