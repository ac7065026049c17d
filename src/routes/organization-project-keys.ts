/**
 * Every client key of an organization's projects: `/api/0/organizations/{org}/project-keys/`
 * (S:src/sentry/api/endpoints/organization_project_keys.py).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { orgContext } from '../http/context.ts';
import { apiError } from '../http/errors.ts';
import { organizationGuard } from '../http/guards.ts';
import { resource } from '../http/resource.ts';
import { organizationKeysQuery, projectKeyListSchema, type OrganizationKeysQuery } from '../schemas/project-key.ts';
import type { Services } from '../services/index.ts';
import type { ProjectSelection } from '../services/project-selection.ts';
import { keyListPage } from './project-keys.ts';
import { orgParams } from '../schemas/params.ts';


/**
 * The `project` / `projectSlug` parameters as Sentry's `get_projects` reads them: every `project`
 * value must be an integer (an empty one too), -1 / $all mean every project the caller can access.
 * Slugs pick the projects; ids given beside them are still checked against what was found
 * (`_validate_fetched_projects`), so both together are a 403 unless they name the same projects.
 */
function projectSelection(q: OrganizationKeysQuery): ProjectSelection {
  const ids = q.project ?? [];
  if (!ids.every((v) => /^\s*[+-]?\d+\s*$/.test(v))) throw apiError('invalid_project_param');
  const numbers = ids.map((v) => Number(v.trim()));
  const slugs = q.projectSlug?.filter((v) => v !== '') ?? [];
  if (slugs.length > 0) return slugs.includes('$all') ? { kind: 'all-accessible' } : { kind: 'slugs', slugs, ids: numbers };
  if (numbers.length === 0) return { kind: 'default' };
  return numbers.includes(-1) ? { kind: 'all-accessible' } : { kind: 'ids', ids: numbers };
}

export async function organizationProjectKeyRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  resource(app, '/api/0/organizations/:org/project-keys/', {
    GET: {
      options: {
        onRequest: organizationGuard(services),
        config: { rateLimitGroup: 'keys' },
        schema: {
          tags: ['Client Keys'],
          summary: "List an Organization's Client Keys",
          params: orgParams,
          querystring: organizationKeysQuery,
          response: { 200: projectKeyListSchema },
        },
      },
      errors: ['invalid_project_param', 'team_not_found'],
      handler: async (request: FastifyRequest<{ Querystring: OrganizationKeysQuery }>, reply: FastifyReply) => {
        const { access, organization } = orgContext(request);
        const selected = await services.directory.selectProjects(access, projectSelection(request.query));
        if (!selected.ok) throw apiError('permission_denied');
        let projectIds = selected.projects.map((p) => p.id);

        if (request.query.team) {
          const team = await services.directory.team(organization, request.query.team);
          if (!team) throw apiError('team_not_found');
          const teamProjects = await services.directory.projectIdsOfTeam(organization, team);
          projectIds = projectIds.filter((id) => teamProjects.has(id));
        }

        return keyListPage({ services, config }, request, reply, { projectIds, status: request.query.status, organizationId: organization.id });
      },
    },
  });
}
