import type { FastifyInstance } from 'fastify';

/** The OpenAPI document, generated from the same zod schemas that validate and serialize. */
export async function openApiRoutes(app: FastifyInstance) {
  app.get('/api/0/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
