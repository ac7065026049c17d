/**
 * Permission checks in Sentry's order, run as route hooks before the body is read:
 * credential present → the credential holds one of the method's scopes (`has_permission`) →
 * the organization/project exists (404) → the caller may act on it (`has_object_permission`, 403).
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { KEY_PATTERN } from '../domain/keys.ts';
import type { Scope } from '../domain/scopes.ts';
import type { Services } from '../services/index.ts';
import { isSuperuser, isUserPrincipal } from '../services/principal.ts';
import type { KeyParams, OrgParams, ProjectParams, TeamParams } from '../schemas/params.ts';
import type { ProjectKeyRow } from '../storage/schema.ts';
import { projectContext } from './context.ts';
import type { ErrorCode } from '../schemas/errors.ts';
import { apiError, insufficientScope, notAuthenticated, projectMoved } from './errors.ts';

export type ScopeMap = Readonly<Record<'GET' | 'POST' | 'PUT' | 'DELETE', readonly Scope[]>>;

/** S:src/sentry/api/bases/project.py ProjectPermission. */
export const PROJECT_SCOPES: ScopeMap = {
  GET: ['project:read', 'project:write', 'project:admin'],
  POST: ['project:write', 'project:admin'],
  PUT: ['project:write', 'project:admin'],
  DELETE: ['project:admin'],
};

/** S:src/sentry/api/bases/organization.py OrganizationPermission. */
export const ORG_SCOPES: ScopeMap = {
  GET: ['org:read', 'org:write', 'org:admin'],
  POST: ['org:write', 'org:admin'],
  PUT: ['org:write', 'org:admin'],
  DELETE: ['org:admin'],
};

/** S:src/sentry/core/endpoints/project_details.py RelaxedProjectPermission: PUT checks fields itself. */
export const RELAXED_PROJECT_SCOPES: ScopeMap = {
  ...PROJECT_SCOPES,
  PUT: ['project:read', 'project:write', 'project:admin'],
};

/** S:src/sentry/core/endpoints/organization_teams.py OrganizationTeamsPermission. */
export const ORG_TEAMS_SCOPES: ScopeMap = {
  GET: ['org:read', 'org:write', 'org:admin'],
  POST: ['org:write', 'org:admin', 'team:write'],
  PUT: ['org:write', 'org:admin', 'team:write'],
  DELETE: ['org:admin', 'team:write'],
};

/** S:src/sentry/core/endpoints/organization_projects.py OrganizationProjectsPermission. */
export const ORG_PROJECTS_SCOPES: ScopeMap = {
  GET: ['org:read', 'org:write', 'org:admin'],
  POST: ['project:read', 'project:write', 'project:admin'],
  PUT: [],
  DELETE: [],
};

/** S:src/sentry/api/bases/team.py TeamPermission. */
export const TEAM_SCOPES: ScopeMap = {
  GET: ['team:read', 'team:write', 'team:admin'],
  POST: ['team:write', 'team:admin'],
  PUT: ['team:write', 'team:admin'],
  DELETE: ['team:admin'],
};

/** S:src/sentry/core/endpoints/team_projects.py TeamProjectPermission. */
export const TEAM_PROJECT_SCOPES: ScopeMap = {
  GET: ['project:read', 'project:write', 'project:admin'],
  POST: ['project:write', 'project:admin', 'org:write', 'org:admin'],
  PUT: ['project:write', 'project:admin'],
  DELETE: ['project:admin'],
};

/**
 * The scopes a method needs. Sentry's scope maps name GET, POST, PUT and DELETE only: HEAD (which
 * Django answers with the GET handler), PATCH, TRACE and any other verb need a scope no
 * credential holds, so a token is refused them.
 */
function methodScopes(map: ScopeMap, method: string): readonly Scope[] {
  return Object.hasOwn(map, method) ? map[method as keyof ScopeMap] : [];
}

/**
 * `ScopedPermission.has_permission`: anonymous → 401; a credential with none of the method's
 * scopes → 403 (with the challenge naming them, when there are any). A session has no
 * `request.auth` in Sentry and passes here; its roles are checked on the object.
 */
export function requireScope(request: FastifyRequest, map: ScopeMap): void {
  const principal = request.principal;
  if (!principal) throw notAuthenticated();
  if (principal.kind === 'session') return;
  const required = methodScopes(map, request.method);
  if (!principal.scopes.some((s) => required.includes(s))) throw insufficientScope(required);
}

const SCOPE_MAP = Symbol('scopeMap');
const GUARD_ERRORS = Symbol('guardErrors');

/** What any credential check can answer: none given, one not valid, an API key from a refused origin. */
const CREDENTIAL_ERRORS: readonly ErrorCode[] = ['not_authenticated', 'authentication_failed', 'invalid_origin'];
/** An organization's guard: the credentials, the scope or membership (and a session's CSRF token), the organization. */
const ORG_ERRORS: readonly ErrorCode[] = [...CREDENTIAL_ERRORS, 'permission_denied', 'csrf_failed', 'not_found'];

/**
 * A guard remembers its scope map (a resource checks it before answering 405, see resource.ts) and
 * the errors it can answer (the OpenAPI document lists them from here).
 */
function withScopeMap(guard: onRequestAsyncHookHandler, map: ScopeMap, errors: readonly ErrorCode[] = ORG_ERRORS): onRequestAsyncHookHandler {
  return Object.assign(guard, { [SCOPE_MAP]: map, [GUARD_ERRORS]: errors });
}

function withErrors(guard: onRequestAsyncHookHandler, errors: readonly ErrorCode[]): onRequestAsyncHookHandler {
  return Object.assign(guard, { [GUARD_ERRORS]: errors });
}

/** Every error a route's onRequest guards can answer. */
export function guardErrorsOf(hooks: unknown): ErrorCode[] {
  const errors = new Set<ErrorCode>();
  for (const hook of Array.isArray(hooks) ? hooks : [hooks]) {
    for (const code of (hook as { [GUARD_ERRORS]?: readonly ErrorCode[] } | undefined)?.[GUARD_ERRORS] ?? []) errors.add(code);
  }
  return [...errors];
}

/** The scope map of the first guard among a route's onRequest hooks, if one has a map. */
export function scopeMapOf(hooks: unknown): ScopeMap | undefined {
  for (const hook of Array.isArray(hooks) ? hooks : [hooks]) {
    const map = (hook as { [SCOPE_MAP]?: ScopeMap } | undefined)?.[SCOPE_MAP];
    if (map) return map;
  }
  return undefined;
}


async function resolveOrg(services: Services, request: FastifyRequest<{ Params: OrgParams }>, map: ScopeMap) {
  requireScope(request, map);
  const organization = await services.directory.organization(request.params.org);
  if (!organization) throw apiError('not_found');
  const access = await services.access.forOrganization(request.principal!, organization);
  return { principal: request.principal!, organization, access };
}

/** Routes under `/organizations/{org}/…`. */
export function organizationGuard(services: Services, map: ScopeMap = ORG_SCOPES): onRequestAsyncHookHandler {
  return withScopeMap(async function guard(request) {
    const context = await resolveOrg(services, request as FastifyRequest<{ Params: OrgParams }>, map);
    if (!context.access.hasAnyScope(methodScopes(map, request.method))) throw apiError('permission_denied');
    request.orgContext = context;
  }, map);
}

/** `GET /organizations/`: a credential with the scope; which organizations it sees is the route's. */
export function scopeGuard(map: ScopeMap = ORG_SCOPES): onRequestAsyncHookHandler {
  return withScopeMap(async function guard(request) {
    requireScope(request, map);
  }, map, [...CREDENTIAL_ERRORS, 'permission_denied', 'csrf_failed']);
}

/** `/users/me/`: any credential; only a user (a user token or a session) has a "me" (Sentry 404s the others). */
export function userGuard(): onRequestAsyncHookHandler {
  return withErrors(async function guard(request) {
    const principal = request.principal;
    if (!principal) throw notAuthenticated();
    if (!isUserPrincipal(principal)) throw apiError('not_found');
  }, [...CREDENTIAL_ERRORS, 'csrf_failed', 'not_found']);
}

/**
 * Routes under `/teams/{org}/{team}/…` (TeamEndpoint with TeamPermission): the organization's
 * scope for the method where the caller reaches the team, or the scope through their role in
 * the team. With `memberMayCreate`, TeamProjectPermission's rule too: a member of the team with
 * project:read may POST (create a project on it).
 */
export function teamGuard(services: Services, map: ScopeMap = TEAM_SCOPES, options: { memberMayCreate?: boolean } = {}): onRequestAsyncHookHandler {
  return withScopeMap(async function guard(request) {
    const req = request as FastifyRequest<{ Params: TeamParams }>;
    const context = await resolveOrg(services, req, map);
    const team = await services.directory.team(context.organization, req.params.team);
    if (!team) throw apiError('not_found');
    const allowed = methodScopes(map, request.method);
    const { access } = context;
    const reachesTeam = access.hasGlobalAccess || access.hasTeamMembership(team.id);
    const permitted =
      (access.hasAnyScope(allowed) && reachesTeam) ||
      access.hasTeamScope(team.id, allowed) ||
      (options.memberMayCreate === true &&
        request.method === 'POST' &&
        access.hasScope('project:read') &&
        access.hasTeamMembership(team.id));
    if (!permitted) throw apiError('permission_denied');
    request.orgContext = context;
    request.teamContext = { ...context, team };
  }, map);
}

/**
 * Routes under `/projects/{org}/{project}/…`. An old slug of a renamed project answers 302 to the
 * same URL with the new slug (ProjectEndpoint.convert_args, ProjectRedirect), once the caller is
 * known to have access to the project: without it the rename is not revealed.
 */
export function projectGuard(services: Services, map: ScopeMap = PROJECT_SCOPES): onRequestAsyncHookHandler {
  return withScopeMap(async function guard(request) {
    const req = request as FastifyRequest<{ Params: ProjectParams }>;
    const context = await resolveOrg(services, req, map);
    const allowed = methodScopes(map, request.method);
    const { access } = context;
    const teamsOf = (projectId: number) => services.directory.teamIdsOfProject(projectId);
    const permitted = (teamIds: number[]) =>
      (access.hasAnyScope(allowed) && access.hasProjectAccess(teamIds)) || access.hasAnyProjectScope(teamIds, allowed);
    const project = await services.directory.project(context.organization, req.params.project);
    if (!project) {
      const moved = await services.projects.renamedFrom(context.organization, req.params.project);
      if (!moved) throw apiError('not_found');
      if (!permitted(await teamsOf(moved.id))) throw apiError('permission_denied');
      const { org, project: oldSlug } = req.params;
      const url = request.url.replaceAll(`projects/${org}/${oldSlug}/`, `projects/${org}/${moved.slug}/`);
      if (url === request.url) throw apiError('not_found');
      throw projectMoved(url, moved.slug);
    }
    const teamIds = await teamsOf(project.id);
    if (!permitted(teamIds)) throw apiError('permission_denied');
    request.orgContext = context;
    request.projectContext = { ...context, project, teamIds };
  }, map, [...ORG_ERRORS, 'project_moved']);
}

/** S:src/sentry/api/bases/project.py ProjectEventPermission: reading a project's events. */
export const EVENT_SCOPES: ScopeMap = {
  GET: ['event:read', 'event:write', 'event:admin'],
  POST: ['event:write', 'event:admin'],
  PUT: ['event:write', 'event:admin'],
  DELETE: ['event:admin'],
};

/**
 * Routes under `/projects/{org}/{project}/keys/{key_id}/…`, after the project guard: the key by its
 * public key, as the API sees keys (S:src/sentry/api/bases/project_key.py), else 404. Sentry looks
 * the key up before it reads the body: an unknown key is a 404 even with a bad body.
 */
export function keyGuard(services: Services): onRequestAsyncHookHandler {
  return withErrors(async function guard(request) {
    const { project } = projectContext(request);
    const { key_id: keyId } = request.params as KeyParams;
    // Only 32 hex characters can name a key; anything else is unknown without a query (and
    // PostgreSQL refuses NUL bytes in a text parameter).
    const key = KEY_PATTERN.test(keyId) ? await services.keys.find(project.id, keyId, !isSuperuser(request.principal)) : undefined;
    if (!key) throw apiError('not_found');
    request.projectKey = key;
  }, ['not_found']);
}

export function projectKeyOf(request: FastifyRequest): ProjectKeyRow {
  if (!request.projectKey) throw new Error('route has no key guard');
  return request.projectKey;
}
