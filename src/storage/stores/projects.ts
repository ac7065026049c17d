import type { Insertable, Kysely } from 'kysely';
import type { DB, ProjectRow, ProjectTable } from '../schema.ts';
import type { IdOrSlug } from './id-or-slug.ts';

export const PROJECT_STATUS_ACTIVE = 0;

export class ProjectStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<ProjectTable>): Promise<ProjectRow> {
    return this.db.insertInto('projects').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async addTeam(projectId: number, teamId: number): Promise<void> {
    await this.db.insertInto('project_teams').values({ project_id: projectId, team_id: teamId }).execute();
  }

  /** An active project of an organization, by id or slug. */
  find(organizationId: number, ref: IdOrSlug): Promise<ProjectRow | undefined> {
    let query = this.db
      .selectFrom('projects')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('status', '=', PROJECT_STATUS_ACTIVE);
    query = 'id' in ref ? query.where('id', '=', ref.id) : query.where('slug', '=', ref.slug);
    return query.executeTakeFirst();
  }

  async slugTaken(organizationId: number, slug: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('projects')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Active projects of an organization, optionally only those of one team. */
  list(organizationId: number, options: { teamId?: number } = {}): Promise<ProjectRow[]> {
    let query = this.db
      .selectFrom('projects')
      .selectAll('projects')
      .where('projects.organization_id', '=', organizationId)
      .where('projects.status', '=', PROJECT_STATUS_ACTIVE);
    if (options.teamId !== undefined) {
      query = query
        .innerJoin('project_teams', 'project_teams.project_id', 'projects.id')
        .where('project_teams.team_id', '=', options.teamId);
    }
    return query.orderBy('projects.slug').execute();
  }

  /** project id → ids of its teams, for the projects of one organization. */
  async teamIdsByProject(organizationId: number): Promise<Map<number, number[]>> {
    const rows = await this.db
      .selectFrom('project_teams')
      .innerJoin('projects', 'projects.id', 'project_teams.project_id')
      .select(['project_teams.project_id', 'project_teams.team_id'])
      .where('projects.organization_id', '=', organizationId)
      .execute();
    const map = new Map<number, number[]>();
    for (const row of rows) {
      const list = map.get(row.project_id) ?? [];
      list.push(row.team_id);
      map.set(row.project_id, list);
    }
    return map;
  }
}
