/**
 * `GET /api/0/projects/{org}/{project}/upstream/`: where the project's accepted events are
 * delivered (gateway mode) and how that goes: delivered, retrying, refused and rate-limited counts,
 * the queue and its oldest request, the backend's last error. A clientkeys extension. The upstream
 * itself is set with `PUT /api/0/projects/{org}/{project}/` `{"upstreamDsn": …}` (project:admin).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectContext } from '../http/context.ts';
import { PROJECT_SCOPES, projectGuard } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { upstreamStateSchema } from '../schemas/project.ts';
import type { Services } from '../services/index.ts';
import { projectParams } from '../schemas/params.ts';

export async function projectUpstreamRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/projects/:org/:project/upstream/', {
    GET: {
      options: {
        onRequest: projectGuard(services, PROJECT_SCOPES),
        schema: {
          tags: ['clientkeys extensions'],
          summary: "Retrieve a Project's Delivery to its Backend",
          description:
            "Not part of Sentry's API. Where the project's accepted events are delivered (its `upstream`, set by `upstreamDsn` on the project) and what delivery did: counts, the queue, the backend's last error. Needs project:read.",
          params: projectParams,
          response: { 200: upstreamStateSchema },
        },
      },
      handler: async (request: FastifyRequest) => services.upstreams.state(projectContext(request).project),
    },
  });
}
