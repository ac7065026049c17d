import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';

/** `/healthz`: the process answers. `/readyz`: and its database does too. */
export async function healthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await services.directory.ping();
      return { status: 'ok' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).send({ status: 'unavailable', detail: 'The database cannot be reached.' });
    }
  });
}
