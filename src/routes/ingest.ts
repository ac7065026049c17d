/**
 * The DSN endpoints as Fastify routes, for what reaches Fastify rather than the server's front
 * listener: `inject`, and targets the front does not recognise (an absolute-form URL). Each route
 * hands its raw request to the one ingest handler (routes/ingest-handler.ts) before Fastify reads
 * the body, so that either way a DSN request takes the same code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestHandler, IngestTarget } from './ingest-handler.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a DSN route serves (routes/ingest-handler.ts). */
    ingestTarget?: IngestTarget;
  }
}

export async function ingestRoutes(app: FastifyInstance, { ingest }: { ingest: IngestHandler }) {
  const handOff = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.hijack();
    const target = request.routeOptions.config.ingestTarget as IngestTarget;
    ingest.serve(request.raw, reply.raw, { target, params: request.params as Record<string, string | undefined> }, request.id);
    done();
  };
  for (const target of ingest.targets()) {
    const method = target.kind === 'preflight' ? ['OPTIONS'] : [...target.endpoint.methods];
    for (const url of target.endpoint.paths) {
      app.route({ method, url, schema: { hide: true }, config: { ingestTarget: target }, onRequest: handOff, handler: () => {} });
    }
  }
}
