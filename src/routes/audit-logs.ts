/** `GET /api/0/organizations/{org}/audit-logs/` (S:src/sentry/api/endpoints/organization_auditlogs.py). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { orgContext } from '../http/context.ts';
import { validationError } from '../http/errors.ts';
import { organizationGuard, type ScopeMap } from '../http/guards.ts';
import { paginated } from '../http/pagination.ts';
import { resource } from '../http/resource.ts';
import { auditLogPageSchema, auditLogQuery, type AuditLogQuery } from '../schemas/audit-log.ts';
import { AUDIT_EVENTS } from '../services/audit-log.ts';
import type { Services } from '../services/index.ts';
import { orgParams } from '../schemas/params.ts';

/** OrganizationAuditPermission: org:write only (admins and owners; managers too). */
const AUDIT_SCOPES: ScopeMap = { GET: ['org:write'], POST: [], PUT: [], DELETE: [] };

const MAX_ACTOR = 2147483647;

export async function auditLogRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  resource(app, '/api/0/organizations/:org/audit-logs/', {
    GET: {
      options: {
        onRequest: organizationGuard(services, AUDIT_SCOPES),
        schema: {
          tags: ['Organizations'],
          summary: "List an Organization's Audit Log",
          params: orgParams,
          querystring: auditLogQuery,
          response: { 200: auditLogPageSchema },
        },
      },
      // `actor` is read by hand, as Sentry's serializer does: its errors are DRF's field dict.
      errors: ['validation'],
      handler: async (request: FastifyRequest<{ Querystring: AuditLogQuery }>, reply: FastifyReply) => {
        const { organization } = orgContext(request);
        const q = request.query;
        let actorUserId: number | undefined;
        if (q.actor !== undefined) {
          if (!/^\s*[+-]?\d+\s*$/.test(q.actor)) throw validationError({ actor: ['A valid integer is required.'] });
          actorUserId = Number(q.actor);
          if (actorUserId > MAX_ACTOR) throw validationError({ actor: [`Ensure this value is less than or equal to ${MAX_ACTOR}.`] });
        }
        const filter = { organizationId: organization.id, ...(q.event !== undefined ? { event: q.event } : {}), ...(actorUserId !== undefined ? { actorUserId } : {}) };
        const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 100 }, (page) => services.auditLog.page(filter, page.cursor, page.limit));
        return { rows: await services.auditLog.serialize(rows), options: AUDIT_EVENTS };
      },
    },
  });
}
