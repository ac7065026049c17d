/**
 * `/js-sdk/{version}/{file}`: the browser SDK bundles this server carries (src/loader/sdk-assets.ts),
 * the JS SDK loader's default source. As a CDN serves them: cacheable for a year and immutable
 * (a version's bundle never changes), open to every origin (the loader injects them with
 * `crossorigin="anonymous"` and an integrity hash, which needs CORS), gzip when the browser takes it.
 * Only the files of the carried version exist; any other name is a 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SdkAssets } from '../loader/sdk-assets.ts';

const CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** gzip unless the request refuses it (`gzip;q=0`) or does not list it. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export async function jsSdkBundleRoutes(app: FastifyInstance, { assets }: { assets: SdkAssets }) {
  app.get('/js-sdk/:version/:file', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const { version, file } = request.params as { version: string; file: string };
    const asset = version === assets.version ? assets.files.get(file) : undefined;
    if (!asset) return reply.code(404).send({ detail: 'Not found' });
    const etag = `"${asset.integrity.slice('sha384-'.length, 'sha384-'.length + 32)}"`;
    reply
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', CACHE_CONTROL)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'Accept-Encoding')
      .header('etag', etag)
      .type('text/javascript; charset=utf-8');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (acceptsGzip(request.headers['accept-encoding'])) {
      return reply.header('content-encoding', 'gzip').send(await asset.gzipped());
    }
    return reply.send(asset.body);
  });
}
