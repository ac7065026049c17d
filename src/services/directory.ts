/**
 * Finding what a request or a command names: an organization, team or project by id or slug, a
 * user by email, the teams of a project. The HTTP guards and the CLI resolve through here, so
 * neither reaches the database around the services, and "find or fail" is each caller's own
 * answer (a 404, a CLI error) to one lookup.
 */
import { sql } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { OrganizationRow, ProjectRow, TeamRow, UserRow } from '../storage/schema.ts';
import { idOrSlug } from '../storage/stores/id-or-slug.ts';
import type { AccessCache } from './access-cache.ts';
import type { OrgAccess } from './access.ts';
import { selectProjects, type ProjectSelection, type SelectionResult } from './project-selection.ts';

export class DirectoryService {
  constructor(
    private readonly db: Database,
    private readonly cache: AccessCache,
  ) {}

  /** By id (all digits) or slug, as Sentry's `id_or_slug`; anything else names nothing. */
  organization(ref: string): Promise<OrganizationRow | undefined> {
    return this.cache.get(`organization:${ref}`, () => this.db.stores.organizations.find(idOrSlug(ref)));
  }

  team(organization: OrganizationRow, ref: string): Promise<TeamRow | undefined> {
    return this.db.stores.teams.find(organization.id, idOrSlug(ref));
  }

  project(organization: OrganizationRow, ref: string): Promise<ProjectRow | undefined> {
    return this.cache.get(`project:${organization.id}:${ref}`, () => this.db.stores.projects.find(organization.id, idOrSlug(ref)));
  }

  teamIdsOfProject(projectId: number): Promise<number[]> {
    return this.cache.get(`project-teams:${projectId}`, async () => (await this.db.stores.teams.ofProject(projectId)).map((team) => team.id));
  }

  projectById(id: number): Promise<ProjectRow | undefined> {
    return this.db.stores.projects.byId(id);
  }

  async projectIdsOfTeam(organization: OrganizationRow, team: TeamRow): Promise<Set<number>> {
    return new Set((await this.db.stores.projects.list(organization.id, { teamId: team.id })).map((project) => project.id));
  }

  /** The projects an organization-wide list covers for this caller (see project-selection.ts). */
  selectProjects(access: OrgAccess, selection: ProjectSelection): Promise<SelectionResult> {
    return selectProjects(this.db.stores, access, selection);
  }

  userById(id: number): Promise<UserRow | undefined> {
    return this.db.stores.users.byId(id);
  }

  userByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.stores.users.byEmail(email);
  }

  /** Whether the database answers (`/readyz`); rejects when it does not. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db.kysely);
  }
}
