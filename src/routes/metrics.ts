import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';

/** `/metrics`: the ingest counters and the process's, in Prometheus' text format. */
export async function metricsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const registry = await services.ingest.parts.metrics.registry();
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
