/**
 * Projects: an organization's list (`/organizations/{org}/projects/`, S:src/sentry/core/
 * endpoints/organization_projects.py) and one project (`/projects/{org}/{project}/`,
 * project_details.py: retrieve, update, delete).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { searchFilter, type SearchKeys } from '../domain/search-query.ts';
import { clientIp, orgContext, projectContext } from '../http/context.ts';
import { apiError, invalidIdQuery, invalidStatsPeriod, userRequired, validationError } from '../http/errors.ts';
import { ORG_PROJECTS_SCOPES, organizationGuard, projectGuard, RELAXED_PROJECT_SCOPES } from '../http/guards.ts';
import { paginated } from '../http/pagination.ts';
import { resource } from '../http/resource.ts';
import { emptyBody } from '../schemas/common.ts';
import {
  ADMIN_PROJECT_FIELDS,
  detailedProjectSchema,
  keyDefaultsOf,
  projectSummaryListSchema,
  updateProjectBody,
  type UpdateProjectBody,
} from '../schemas/project.ts';
import type { Services } from '../services/index.ts';
import { actorOf, isUserPrincipal, principalUser, type Principal, type UserPrincipal } from '../services/principal.ts';
import { viewerOf } from '../services/serializers/index.ts';
import type { ProjectFilter } from '../storage/stores/projects.ts';
import { orgParams, projectParams } from '../schemas/params.ts';
import { projectDetailQuery, projectListQuery, type ProjectDetailQuery, type ProjectListQuery } from '../schemas/project.ts';

const tags = ['Projects'];

const STATS_PERIODS = ['', '1h', '24h', '7d', '14d', '30d', '90d'];

/** The `query` parameter's keys as OrganizationProjectsEndpoint reads them, for this caller. */
function searchKeys(principal: Principal): SearchKeys<ProjectFilter> {
  return {
    query: (values) => ({ text: values.join(' ') }),
    id: (values) => {
      if (!values.every((v) => /^\d+$/.test(v))) throw invalidIdQuery();
      return { ids: values.map(Number) };
    },
    slug: (values) => ({ slugs: values }),
    team: (values) => ({ teamSlugs: values }),
    '!team': (values) => ({ notTeamSlugs: values }),
    // An organization credential is nobody's member: nothing matches.
    is_member: () => (isUserPrincipal(principal) ? { memberUserId: principal.user.id } : { none: true }),
  };
}

/** The `query` parameter as a filter; an unknown key matches nothing. */
const queryFilter = (query: string | undefined, principal: Principal) => searchFilter(query, searchKeys(principal), { none: true });

export async function projectRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const serializers = services.serializers;

  resource(app, '/api/0/organizations/:org/projects/', {
    GET: {
      options: {
        onRequest: organizationGuard(services, ORG_PROJECTS_SCOPES),
        schema: {
          tags: ['Organizations'],
          summary: "List an Organization's Projects",
          params: orgParams,
          querystring: projectListQuery,
          response: { 200: projectSummaryListSchema },
        },
      },
      errors: ['invalid_stats_period', 'invalid_id_query'],
      handler: async (request: FastifyRequest<{ Querystring: ProjectListQuery }>, reply: FastifyReply) => {
        const { organization, access, principal } = orgContext(request);
        const q = request.query;
        if (q.statsPeriod !== undefined && !STATS_PERIODS.includes(q.statsPeriod)) {
          throw invalidStatsPeriod("'', '1h', '24h', '7d', '14d', '30d', and '90d'");
        }
        const filter = queryFilter(q.query, principal);
        // Organization credentials see the projects that belong to a team; users every project.
        if (!isUserPrincipal(principal)) filter.withTeam = true;
        const bookmarkedBy = principalUser(principal)?.id;
        const viewer = viewerOf(access);
        const latestDeploys = !(q.collapse ?? []).includes('latestDeploys');
        if (q.all_projects === '1') {
          const rows = await services.projects.listAll(organization, filter, {});
          return serializers.project.summary(rows, viewer, { latestDeploys });
        }
        const bookmarks = bookmarkedBy === undefined ? {} : { bookmarkedBy };
        const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 100 }, (page) => services.projects.list(organization, filter, bookmarks, page));
        return serializers.project.summary(rows, viewer, { latestDeploys });
      },
    },
  });

  const guard = projectGuard(services, RELAXED_PROJECT_SCOPES);
  const detailed = async (request: FastifyRequest) => {
    const { organization, access, project } = projectContext(request);
    const org = await serializers.organization.serialize(organization, { featureFlags: true });
    return serializers.project.detailed(project, viewerOf(access), org);
  };

  /**
   * Before the body is read, as ProjectDetailsEndpoint.put: only a user may update; a caller
   * without project:write/admin (on the organization or through a team) may send only
   * `isBookmarked`, any other field set is a 403.
   */
  const updateChecks = async (request: FastifyRequest) => {
    const { principal, access, teamIds } = projectContext(request);
    if (!isUserPrincipal(principal)) throw userRequired();
    const elevated = access.hasAnyScope(['project:write', 'project:admin']) || access.hasAnyProjectScope(teamIds, ['project:write', 'project:admin']);
    const body = request.body;
    // Where a project's events go is an admin's decision (clientkeys' own field).
    if (body && typeof body === 'object' && 'upstreamDsn' in body && !access.hasAnyScope(['project:admin']) && !access.hasAnyProjectScope(teamIds, ['project:admin'])) {
      throw apiError('permission_denied');
    }
    if (!elevated && body && typeof body === 'object') {
      const raw = body as Record<string, unknown>;
      if (ADMIN_PROJECT_FIELDS.some((f) => isTruthy(raw[f]))) throw apiError('permission_denied');
      // Sentry then reads the body with ProjectMemberSerializer, which has none of the admin
      // fields: a falsy one (0, "", [], {}) is ignored, never applied.
      for (const field of ADMIN_PROJECT_FIELDS) delete raw[field];
    }
  };

  resource(app, '/api/0/projects/:org/:project/', {
    GET: {
      options: {
        onRequest: guard,
        schema: {
          tags,
          summary: 'Retrieve a Project',
          params: projectParams,
          querystring: projectDetailQuery,
          response: { 200: detailedProjectSchema },
        },
      },
      handler: async (request: FastifyRequest<{ Querystring: ProjectDetailQuery }>) => {
        const json = await detailed(request);
        const include = new Set((request.query.include ?? '').split(',').filter(Boolean));
        // No events reach clientkeys, so no project has an unresolved issue or an alert integration.
        if (include.has('stats')) json.stats = { unresolved: 0 };
        if ((request.query.expand ?? []).includes('hasAlertIntegration')) json.hasAlertIntegrationInstalled = false;
        return json;
      },
    },
    PUT: {
      options: {
        onRequest: guard,
        preValidation: updateChecks,
        schema: {
          tags,
          summary: 'Update a Project',
          params: projectParams,
          body: updateProjectBody,
          response: { 200: detailedProjectSchema },
        },
      },
      errors: ['user_required'],
      handler: async (request: FastifyRequest<{ Body: UpdateProjectBody }>) => {
        const { project, principal } = projectContext(request);
        const body = request.body;
        const userId = (principal as UserPrincipal).user.id;
        // Checked before anything is written: a bad DSN changes nothing else either.
        const upstream = body.upstreamDsn === undefined ? undefined : await services.upstreams.validate(body.upstreamDsn);
        if (upstream && !upstream.ok) throw validationError({ upstreamDsn: [upstream.error] });
        const result = await services.projects.update(
          project,
          {
            name: body.name ?? undefined,
            slug: body.slug ?? undefined,
            platform: body.platform,
            subjectPrefix: body.subjectPrefix ?? undefined,
            subjectTemplate: body.subjectTemplate ?? undefined,
            resolveAge: body.resolveAge,
            highlightContext: body.highlightContext,
            highlightTags: body.highlightTags as string[] | undefined,
            allowedDomains: body.allowedDomains,
            keyDefaults: body.keyDefaults === null ? null : keyDefaultsOf(body.keyDefaults),
            bookmark: typeof body.isBookmarked === 'boolean' ? { userId, value: body.isBookmarked } : undefined,
          },
          actorOf(principal, clientIp(request)),
        );
        if (!result.ok) {
          throw validationError({
            slug: [result.reason === 'slug_reserved' ? `The slug "${body.slug}" is reserved and not allowed.` : `Another project (${result.otherName}) is already using that slug`],
          });
        }
        const updated = upstream?.ok ? await services.upstreams.set(result.project, upstream.dsn, actorOf(principal, clientIp(request))) : result.project;
        request.projectContext = { ...projectContext(request), project: updated };
        return detailed(request);
      },
    },
    DELETE: {
      options: {
        onRequest: guard,
        schema: {
          tags,
          summary: 'Delete a Project',
          description: 'Schedules the project for deletion: it and its client keys stop being served at once.',
          params: projectParams,
          response: { 204: emptyBody },
        },
      },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { project, principal } = projectContext(request);
        await services.projects.remove(project, actorOf(principal, clientIp(request)));
        return reply.code(204).send();
      },
    },
  });
}

/** Python truthiness of a JSON value, for `request.data.get(key)`. */
function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}
