/**
 * `GET /api/0/projects/{org}/{project}/keys/{key_id}/health/` (clientkeys): is the key used, and
 * does it work — last accepted and refused, refusals by reason over 24 hours, what SDKs dropped.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { keyGuard, projectGuard, projectKeyOf } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { REFUSAL_REASONS } from '../ingest/key-health.ts';
import type { Services } from '../services/index.ts';
import { keyParams } from '../schemas/params.ts';

const keyHealthSchema = z
  .object({
    lastAccepted: z.string().nullable().describe('When a request with the key last got through.'),
    lastRefused: z.string().nullable().describe('When one was last refused.'),
    refused: z
      .object(Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, z.number().int()])) as Record<(typeof REFUSAL_REASONS)[number], z.ZodNumber>)
      .describe('Refused requests over the last 24 hours, by reason (a rotated-out key counts as expired).'),
    clientDiscarded: z
      .array(z.object({ reason: z.string(), category: z.string(), quantity: z.number().int() }))
      .describe("What the SDKs reported dropping themselves (client_report items) over the last 24 hours."),
  })
  .meta({ id: 'ClientKeyHealth' });

export async function keyHealthRoutes(app: FastifyInstance, { services }: { services: Services }) {
  resource(app, '/api/0/projects/:org/:project/keys/:key_id/health/', {
    GET: {
      options: {
        onRequest: [projectGuard(services), keyGuard(services)],
        schema: {
          tags: ['clientkeys extensions'],
          summary: "Retrieve a Client Key's Health",
          description: "Not part of Sentry's API. Whether the key is used and whether it works. Needs project:read.",
          params: keyParams,
          response: { 200: keyHealthSchema },
        },
      },
      handler: async (request: FastifyRequest) => services.keyHealth.health(projectKeyOf(request)),
    },
  });
}
