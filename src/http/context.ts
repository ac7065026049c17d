/**
 * What the early hooks learn about a request (the credential, the organization and project it
 * addresses, the caller's access there), typed for the handlers that read it.
 */
import type { FastifyRequest } from 'fastify';
import type { OrgAccess } from '../services/access.ts';
import type { Principal } from '../services/principal.ts';
import type { OrganizationRow, ProjectKeyRow, ProjectRow, TeamRow } from '../storage/schema.ts';

export interface OrgContext {
  principal: Principal;
  organization: OrganizationRow;
  access: OrgAccess;
}

export interface TeamContext extends OrgContext {
  team: TeamRow;
}

export interface ProjectContext extends OrgContext {
  project: ProjectRow;
  teamIds: number[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    orgContext: OrgContext | undefined;
    projectContext: ProjectContext | undefined;
    teamContext: TeamContext | undefined;
    projectKey: ProjectKeyRow | undefined;
  }
  interface FastifyContextConfig {
    /** The `Allow` header of the route's resource, e.g. "GET, POST, HEAD, OPTIONS". */
    allow?: string;
  }
}

export function orgContext(request: FastifyRequest): OrgContext {
  if (!request.orgContext) throw new Error('route has no organization guard');
  return request.orgContext;
}

export function teamContext(request: FastifyRequest): TeamContext {
  if (!request.teamContext) throw new Error('route has no team guard');
  return request.teamContext;
}

export function projectContext(request: FastifyRequest): ProjectContext {
  if (!request.projectContext) throw new Error('route has no project guard');
  return request.projectContext;
}

/** Who acted, for the audit log. */
export function clientIp(request: FastifyRequest): string | null {
  return request.ip ?? null;
}
