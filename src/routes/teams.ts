/**
 * Teams: an organization's teams (`/organizations/{org}/teams/`, S:src/sentry/core/endpoints/
 * organization_teams.py), one team (`/teams/{org}/{team}/`, team_details.py) and a team's
 * projects (`/teams/{org}/{team}/projects/`, team_projects.py: the list, and creating a project,
 * which gets its "Default" key at once).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { searchFilter, type SearchKeys } from '../domain/search-query.ts';
import { clientIp, orgContext, teamContext } from '../http/context.ts';
import { apiError, invalidStatsPeriod, teamSlugExists } from '../http/errors.ts';
import { ORG_TEAMS_SCOPES, organizationGuard, TEAM_PROJECT_SCOPES, TEAM_SCOPES, teamGuard } from '../http/guards.ts';
import { paginated } from '../http/pagination.ts';
import { resource } from '../http/resource.ts';
import { createProjectBody, keyDefaultsOf, projectSummaryListSchema, projectSummarySchema, type CreateProjectBody } from '../schemas/project.ts';
import { createTeamBody, teamDetailQuery, teamListQuery, teamListSchema, teamProjectsQuery, teamSchema, type CreateTeamBody, type TeamDetailQuery, type TeamListQuery, type TeamProjectsQuery } from '../schemas/team.ts';
import type { Services } from '../services/index.ts';
import { actorOf, principalUser } from '../services/principal.ts';
import { viewerOf } from '../services/serializers/index.ts';
import type { TeamFilter } from '../storage/stores/teams.ts';
import { orgParams, teamParams } from '../schemas/params.ts';

const tags = ['Teams'];

/** The `query` parameter's keys as OrganizationTeamsEndpoint reads them. */
const SEARCH_KEYS: SearchKeys<TeamFilter> = {
  // No team has external teams here: asking for them matches nothing, excluding them nothing.
  hasExternalTeams: (values) => (values.includes('true') ? { none: true } : {}),
  query: (values) => ({ text: values.join(' ') }),
  slug: (values) => ({ slugs: values }),
  id: (values) => {
    if (!values.every((v) => /^\s*[+-]?\d+\s*$/.test(v))) throw apiError('invalid_team_id_query');
    return { ids: values.map(Number) };
  },
};

/** The `query` parameter as a filter; an unknown key matches nothing. */
const queryFilter = (query: string | undefined) => searchFilter(query, SEARCH_KEYS, { none: true });

export async function teamRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const serializers = services.serializers;

  resource(app, '/api/0/organizations/:org/teams/', {
    GET: {
      options: {
        onRequest: organizationGuard(services, ORG_TEAMS_SCOPES),
        schema: {
          tags,
          summary: "List an Organization's Teams",
          params: orgParams,
          querystring: teamListQuery,
          response: { 200: teamListSchema },
        },
      },
      errors: ['invalid_team_id_query'],
      handler: async (request: FastifyRequest<{ Querystring: TeamListQuery }>, reply: FastifyReply) => {
        const { organization, access } = orgContext(request);
        const detailed = (request.query.detailed ?? '1') !== '0';
        const filter = queryFilter(request.query.query);
        const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 100 }, (page) => services.organizations.listTeams(organization, filter, page));
        return serializers.team.serialize(rows, viewerOf(access), detailed ? { projects: true, externalTeams: true } : {});
      },
    },
    POST: {
      options: {
        onRequest: organizationGuard(services, ORG_TEAMS_SCOPES),
        schema: {
          tags,
          summary: 'Create a New Team',
          params: orgParams,
          body: createTeamBody,
          response: { 201: teamSchema },
        },
      },
      errors: ['team_slug_exists'],
      handler: async (request: FastifyRequest<{ Body: CreateTeamBody }>, reply: FastifyReply) => {
        const { organization, principal } = orgContext(request);
        const creatorUserId = principalUser(principal)?.id ?? null;
        const result = await services.organizations.addTeam(
          organization,
          { slug: request.body.slug, name: request.body.name, creatorUserId },
          actorOf(principal, clientIp(request)),
        );
        if (!result.ok) throw teamSlugExists();
        // The creator's membership changes what the team says about them: read access afresh.
        const access = await services.access.forOrganization(principal, organization);
        const [json] = await serializers.team.serialize([result.team], viewerOf(access));
        return reply.code(201).send(json);
      },
    },
  });

  resource(app, '/api/0/teams/:org/:team/', {
    GET: {
      options: {
        onRequest: teamGuard(services, TEAM_SCOPES),
        schema: {
          tags,
          summary: 'Retrieve a Team',
          params: teamParams,
          querystring: teamDetailQuery,
          response: { 200: teamSchema },
        },
      },
      handler: async (request: FastifyRequest<{ Querystring: TeamDetailQuery }>) => {
        const { team, organization, access } = teamContext(request);
        const expand = new Set(request.query.expand ?? []);
        const collapse = new Set(request.query.collapse ?? []);
        const [json] = await serializers.team.serialize([team], viewerOf(access), {
          projects: expand.has('projects'),
          externalTeams: expand.has('externalTeams'),
          // TeamDetailsEndpoint expands the organization unless it is collapsed.
          ...(collapse.has('organization') ? {} : { organization: await serializers.organization.serialize(organization, { featureFlags: true }) }),
        });
        return json;
      },
    },
  });

  resource(app, '/api/0/teams/:org/:team/projects/', {
    GET: {
      options: {
        onRequest: teamGuard(services, TEAM_PROJECT_SCOPES, { memberMayCreate: true }),
        schema: {
          tags,
          summary: "List a Team's Projects",
          params: teamParams,
          querystring: teamProjectsQuery,
          response: { 200: projectSummaryListSchema },
        },
      },
      errors: ['invalid_stats_period'],
      handler: async (request: FastifyRequest<{ Querystring: TeamProjectsQuery }>, reply: FastifyReply) => {
        const { team, organization, access } = teamContext(request);
        const period = request.query.statsPeriod;
        if (period !== undefined && !['', '24h', '14d', '30d'].includes(period)) throw invalidStatsPeriod("'', '24h', '14d', and '30d'");
        const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 100 }, (page) => services.projects.listForTeam(organization, team, page));
        return serializers.project.summary(rows, viewerOf(access), { latestDeploys: true });
      },
    },
    POST: {
      options: {
        onRequest: teamGuard(services, TEAM_PROJECT_SCOPES, { memberMayCreate: true }),
        schema: {
          tags: ['Projects'],
          summary: 'Create a New Project',
          description: 'The project gets an active "Default" client key in the same transaction.',
          params: teamParams,
          body: createProjectBody,
          response: { 201: projectSummarySchema },
        },
      },
      errors: ['project_slug_exists'],
      handler: async (request: FastifyRequest<{ Body: CreateProjectBody }>, reply: FastifyReply) => {
        const { team, organization, access, principal } = teamContext(request);
        const body = request.body;
        const result = await services.projects.create(
          organization,
          { name: body.name as string, slug: body.slug, platform: body.platform, team, defaultKey: body.defaultKey ?? undefined, keyDefaults: keyDefaultsOf(body.keyDefaults) },
          actorOf(principal, clientIp(request)),
        );
        if (!result.ok) throw apiError('project_slug_exists');
        const [json] = await serializers.project.summary([result.project], viewerOf(access), { latestDeploys: true });
        return reply.code(201).send(json);
      },
    },
  });
}
