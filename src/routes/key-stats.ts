/**
 * `GET /api/0/projects/{org}/{project}/keys/{key_id}/stats/`: a key's accepted and rate-limited
 * events over time (S:src/sentry/core/endpoints/project_key_stats.py).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../http/errors.ts';
import { keyGuard, projectGuard, projectKeyOf } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { keyStatsQuery, keyStatsSchema, type KeyStatsQuery } from '../schemas/ingest.ts';
import type { Services } from '../services/index.ts';
import { keyParams } from '../schemas/params.ts';

export async function keyStatsRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/projects/:org/:project/keys/:key_id/stats/', {
    GET: {
      options: {
        onRequest: [projectGuard(services), keyGuard(services)],
        config: { rateLimitGroup: 'stats' },
        schema: {
          tags: ['Client Keys'],
          summary: "Retrieve a Client Key's Stats",
          description: 'One entry per interval; counts are of error-category events (error, default, security).',
          params: keyParams,
          querystring: keyStatsQuery,
          response: { 200: keyStatsSchema },
        },
      },
      errors: ['invalid_request_data'],
      handler: async (request: FastifyRequest<{ Querystring: KeyStatsQuery }>) => {
        const series = await services.keyStats.series(projectKeyOf(request).id, request.query);
        if (!series.ok) throw apiError('invalid_request_data');
        return series.value;
      },
    },
  });
}
