import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';

/** `/metrics`: the ingest counters and the process's, in Prometheus' text format. */
export async function metricsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const metrics = services.ingest.parts.metrics;
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
}
