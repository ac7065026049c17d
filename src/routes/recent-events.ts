/**
 * `GET /api/0/projects/{org}/{project}/events/recent/`: the latest 100 requests the project's keys
 * got through the ingest gate, newest first. A clientkeys extension (Sentry has no such endpoint):
 * it answers "does this DSN work?" without an upstream Sentry.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { projectContext } from '../http/context.ts';
import { EVENT_SCOPES, projectGuard } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { recentEventsSchema } from '../schemas/ingest.ts';
import type { Services } from '../services/index.ts';
import { projectParams } from '../schemas/params.ts';

export async function recentEventRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/projects/:org/:project/events/recent/', {
    GET: {
      options: {
        onRequest: projectGuard(services, EVENT_SCOPES),
        schema: {
          tags: ['clientkeys extensions'],
          summary: "List a Project's Recently Received Events",
          description:
            'Not part of Sentry\'s API. The latest 100 requests accepted on the project\'s DSN endpoints, newest first, with what each carried. Needs event:read.',
          params: projectParams,
          response: { 200: recentEventsSchema },
        },
      },
      handler: async (request: FastifyRequest) => services.recentEvents.list(projectContext(request).project.id),
    },
  });
}
