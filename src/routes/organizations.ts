/**
 * Organizations: `GET /api/0/organizations/` (S:src/sentry/core/endpoints/organization_index.py)
 * and `GET /api/0/organizations/{org}/` (organization_details.py).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { searchFilter, type SearchKeys } from '../domain/search-query.ts';
import { clientIp, orgContext } from '../http/context.ts';
import { validationError } from '../http/errors.ts';
import { organizationGuard, scopeGuard } from '../http/guards.ts';
import { paginated } from '../http/pagination.ts';
import { resource } from '../http/resource.ts';
import {
  detailedOrganizationSchema,
  organizationListSchema,
  organizationSchema,
  updateOrganizationBody,
  type UpdateOrganizationBody,
} from '../schemas/organization.ts';
import type { Services } from '../services/index.ts';
import { actorOf, isSuperuser, isUserPrincipal, type Principal } from '../services/principal.ts';
import type { OrganizationFilter } from '../storage/stores/organizations.ts';
import { orgParams } from '../schemas/params.ts';
import { organizationDetailQuery, organizationListQuery, ownedOrganizationListSchema, type OrganizationDetailQuery, type OrganizationListQuery } from '../schemas/organization.ts';

const tags = ['Organizations'];

const STATUS_IDS: Readonly<Record<string, number>> = { active: 0, pending_deletion: 1, deletion_in_progress: 2 };

/** The organizations a credential lists: a user's memberships, an organization credential's own. */
function principalFilter(principal: Principal, show: string | undefined): OrganizationFilter {
  if (!isUserPrincipal(principal)) return { organizationId: principal.organizationId };
  if (isSuperuser(principal) && show === 'all') return {};
  return { memberUserId: principal.user.id };
}

const numbers = (values: string[]) => values.filter((v) => /^\d+$/.test(v)).map(Number);

/** The `query` parameter's keys as OrganizationIndexEndpoint reads them. */
const SEARCH_KEYS: SearchKeys<OrganizationFilter> = {
  query: (values) => ({ text: values.join(' ') }),
  slug: (values) => ({ slugs: values }),
  email: (values) => ({ memberEmails: values }),
  id: (values) => ({ ids: numbers(values) }),
  member_id: (values) => ({ memberIds: numbers(values) }),
  status: (values) => ({
    statuses: values.every((v) => v.toLowerCase() in STATUS_IDS) ? values.map((v) => STATUS_IDS[v.toLowerCase()] as number) : [],
  }),
};

/** The `query` parameter as a filter; an unknown key matches nothing. */
const queryFilter = (query: string | undefined) => searchFilter(query, SEARCH_KEYS, { ids: [] });

export async function organizationRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const serializer = services.serializers.organization;

  resource(app, '/api/0/organizations/', {
    GET: {
      options: {
        onRequest: scopeGuard(),
        schema: {
          tags,
          summary: 'List Your Organizations',
          querystring: organizationListQuery,
          response: {
            200: z.union([organizationListSchema, ownedOrganizationListSchema])
          },
        },
      },
      handler: async (request: FastifyRequest<{ Querystring: OrganizationListQuery }>, reply: FastifyReply) => {
        const principal = request.principal as Principal;
        const q = request.query;
        if ((q.owner === '1' || q.owner === 'true') && isUserPrincipal(principal)) {
          const owned = await services.organizations.owned(principal.user.id);
          return Promise.all(
            owned.map(async (o) => ({ organization: await serializer.serialize(o.organization, { featureFlags: true }), singleOwner: o.singleOwner })),
          );
        }
        const filter = { ...principalFilter(principal, q.show), ...queryFilter(q.query) };
        const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 100 }, (page) =>
          q.sortBy === 'members' ? services.organizations.listOrganizationsByMembers(filter, page) : services.organizations.listOrganizations(filter, page),
        );
        return Promise.all(rows.map((org) => serializer.serialize(org, { featureFlags: false })));
      },
    },
  });

  resource(app, '/api/0/organizations/:org/', {
    GET: {
      options: {
        onRequest: organizationGuard(services),
        schema: {
          tags,
          summary: 'Retrieve an Organization',
          params: orgParams,
          querystring: organizationDetailQuery,
          response: {
            200: z.union([detailedOrganizationSchema, organizationSchema])
          },
        },
      },
      handler: async (request: FastifyRequest<{ Querystring: OrganizationDetailQuery }>) => {
        const { organization, access } = orgContext(request);
        const featureFlags = (request.query.include_feature_flags ?? '0') !== '0';
        if (!access.hasScope('org:read')) return serializer.serialize(organization, { featureFlags, access });
        return serializer.detailed(organization, access, { featureFlags, projectsAndTeams: (request.query.detailed ?? '1') !== '0' });
      },
    },
    PUT: {
      options: {
        onRequest: organizationGuard(services),
        schema: {
          tags,
          summary: 'Update an Organization',
          description: 'clientkeys keeps relayDsnEndpoint and openMembership; the other fields of Sentry are ignored.',
          params: orgParams,
          body: updateOrganizationBody,
          response: { 200: detailedOrganizationSchema },
        },
      },
      handler: async (request: FastifyRequest<{ Body: UpdateOrganizationBody }>) => {
        const { access, principal } = orgContext(request);
        let { organization } = orgContext(request);
        const { relayDsnEndpoint, openMembership } = request.body;
        if (relayDsnEndpoint !== undefined) {
          const result = await services.organizations.setRelayDsnEndpoint(organization, relayDsnEndpoint, actorOf(principal, clientIp(request)));
          if (!result.ok) throw validationError({ relayDsnEndpoint: [result.error] });
        }
        if (openMembership !== undefined && openMembership !== null) {
          organization = await services.organizations.setOpenMembership(organization, openMembership, actorOf(principal, clientIp(request)));
        }
        return serializer.detailed(organization, access, { featureFlags: true, projectsAndTeams: true });
      },
    },
  });
}
