/**
 * `GET /api/0/users/{user}/` (S:src/sentry/users/api/endpoints/user_details.py): who the token
 * belongs to, as DetailedSelfUserSerializer shows them. "me" is the caller; another user's id
 * needs a superuser.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../http/errors.ts';
import { userGuard } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { selfUserSchema } from '../schemas/user.ts';
import type { Services } from '../services/index.ts';
import { isSuperuser, type UserPrincipal } from '../services/principal.ts';
import { serializeSelfUser } from '../services/serializers/user.ts';
import { userParams, type UserParams } from '../schemas/params.ts';


export async function userRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/users/:user/', {
    GET: {
      options: {
        onRequest: userGuard(),
        schema: {
          tags: ['Users'],
          summary: 'Retrieve a User',
          params: userParams,
          response: { 200: selfUserSchema },
        },
      },
      handler: async (request: FastifyRequest<{ Params: UserParams }>) => {
        const principal = request.principal as UserPrincipal;
        const ref = request.params.user;
        let user = principal.user;
        if (ref !== 'me' && ref !== String(principal.user.id)) {
          const other = /^\d+$/.test(ref) ? await services.directory.userById(Number(ref)) : undefined;
          if (!other) throw apiError('not_found');
          if (!isSuperuser(principal)) throw apiError('permission_denied');
          user = other;
        }
        // clientkeys has no user permissions (users.admin…) and no second factor.
        return { ...serializeSelfUser(user), permissions: [], authenticators: [] };
      },
    },
  });
}
