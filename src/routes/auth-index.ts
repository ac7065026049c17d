/**
 * `/api/0/auth/` (S:src/sentry/api/endpoints/auth_index.py, AuthIndexEndpoint): who is signed in,
 * and signing out. No permission classes: GET answers the user of a user token or a session as
 * DetailedSelfUserSerializer shows them (what @sentry/mcp-server's `whoami` and Sentry's CLI read),
 * and an empty 400 to anyone else; DELETE ends the caller's sessions (Sentry's logout rotates the
 * user's session nonce, ending every session) and answers 204, even when there was none.
 * Its authenticators are its own: see `authenticateAuthIndex`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../http/errors.ts';
import { resource } from '../http/resource.ts';
import type { SessionCookies } from '../http/session-cookies.ts';
import { emptyBody } from '../schemas/common.ts';
import { selfUserSchema } from '../schemas/user.ts';
import type { Services } from '../services/index.ts';
import { isUserPrincipal } from '../services/principal.ts';
import { serializeSelfUser } from '../services/serializers/user.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route authenticates as AuthIndexEndpoint does (authenticate.ts). */
    authIndex?: boolean;
  }
}

const tags = ['Auth'];

export async function authIndexRoutes(app: FastifyInstance, { services, cookies }: { services: Services; cookies: SessionCookies }) {
  resource(app, '/api/0/auth/', {
    GET: {
      options: {
        config: { authIndex: true },
        schema: {
          tags,
          summary: 'Retrieve the signed-in user',
          description: 'The user of a user token or a session; an empty 400 for anyone else.',
          response: { 200: selfUserSchema, 400: emptyBody },
        },
      },
      // No guard: what authentication itself can answer.
      errors: ['authentication_failed', 'invalid_origin'],
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const principal = request.principal;
        if (!isUserPrincipal(principal)) return reply.code(400).send();
        // clientkeys has no user permissions (users.admin…) and no second factor.
        return { ...serializeSelfUser(principal.user), permissions: [], authenticators: [] };
      },
    },
    DELETE: {
      options: {
        config: { authIndex: true },
        schema: {
          tags,
          summary: 'Sign out',
          description: "Ends every session of the signed-in user; 204 also when there was none.",
          response: { 204: emptyBody },
        },
      },
      errors: ['authentication_failed', 'invalid_origin', 'csrf_failed'],
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const principal = request.principal;
        // Only SessionAuthentication runs here, and it checks CSRF for the token's user too: a
        // token request carries no CSRF cookie.
        if (principal?.kind === 'user-token') throw apiError('csrf_failed', 'CSRF cookie not set.');
        if (principal?.kind === 'session') await services.sessions.endAll(principal.user.id);
        cookies.clear(reply);
        return reply.code(204).send();
      },
    },
  });
}
