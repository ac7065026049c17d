/**
 * `GET /api/0/`: who the credential is (S:src/sentry/api/endpoints/index.py). Needs no scope;
 * also the readiness probe of the API. A session has no `auth` (Sentry's `request.auth` is None
 * for SessionAuthentication) but has a user.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resource } from '../http/resource.ts';
import { isUserPrincipal } from '../services/principal.ts';
import { serializeSelfUser } from '../services/serializers/user.ts';

const indexSchema = z
  .object({
    version: z.literal('0'),
    auth: z.object({ scopes: z.array(z.string()) }).nullable(),
    user: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ApiIndex' });

export async function apiIndexRoutes(app: FastifyInstance) {
  resource(app, '/api/0/', {
    GET: {
      options: { schema: { tags: ['Meta'], summary: 'Who the credential is', response: { 200: indexSchema } } },
      // No guard: anyone may ask, but a credential that is given must be valid.
      errors: ['authentication_failed', 'invalid_origin'],
      handler: async (request: FastifyRequest) => {
        const principal = request.principal;
        return {
          version: '0' as const,
          auth:
            principal && principal.kind !== 'session'
              ? { scopes: principal.kind === 'org-token' ? [...principal.scopes] : [...principal.scopes].sort() }
              : null,
          user: isUserPrincipal(principal) ? serializeSelfUser(principal.user) : null,
        };
      },
    },
  });
}
