/**
 * `POST /api/0/projects/{org}/{project}/keys/{key_id}/rotate/` (a clientkeys extension): a
 * successor key now, the old one refused once the overlap ends.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientIp, projectContext } from '../http/context.ts';
import { apiError } from '../http/errors.ts';
import { keyGuard, projectGuard, projectKeyOf } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { projectKeySchema, rotateKeyBody, type RotateKeyBody } from '../schemas/project-key.ts';
import type { Services } from '../services/index.ts';
import { DEFAULT_OVERLAP_SECONDS } from '../domain/keys.ts';
import { actorOf } from '../services/principal.ts';
import { keyAnswer } from './project-keys.ts';
import { keyParams } from '../schemas/params.ts';


export async function keyRotationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/projects/:org/:project/keys/:key_id/rotate/', {
    POST: {
      options: {
        onRequest: [projectGuard(services), keyGuard(services)],
        schema: {
          tags: ['Client Keys'],
          summary: 'Rotate a Client Key (clientkeys)',
          description:
            'Creates a successor key with the same name (suffixed), rate limit and loader options, and answers it. ' +
            'The old key keeps working for `overlapSeconds`, then is refused by ingest on every instance; both keys ' +
            'show the rotation in `dateExpires`, `replacedBy` and `replaces`. Needs project:write.',
          params: keyParams,
          body: rotateKeyBody,
          response: { 201: projectKeySchema },
        },
      },
      errors: ['key_already_rotating'],
      handler: async (request: FastifyRequest<{ Body: RotateKeyBody }>, reply: FastifyReply) => {
        const { project, principal } = projectContext(request);
        const overlap = request.body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
        const result = await services.rotation.rotate(project, projectKeyOf(request), overlap, actorOf(principal, clientIp(request)));
        if (!result.ok) throw apiError('key_already_rotating', result.replacedBy);
        const answer = await keyAnswer(services, request, project.organization_id);
        return reply.code(201).send(answer(result.successor));
      },
    },
  });
}
