import type { Insertable, Kysely } from 'kysely';
import type { DB, TeamRow, TeamTable } from '../schema.ts';
import type { IdOrSlug } from './id-or-slug.ts';

export const TEAM_STATUS_ACTIVE = 0;

export class TeamStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<TeamTable>): Promise<TeamRow> {
    return this.db.insertInto('teams').values(row).returningAll().executeTakeFirstOrThrow();
  }

  find(organizationId: number, ref: IdOrSlug): Promise<TeamRow | undefined> {
    let query = this.db
      .selectFrom('teams')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('status', '=', TEAM_STATUS_ACTIVE);
    query = 'id' in ref ? query.where('id', '=', ref.id) : query.where('slug', '=', ref.slug);
    return query.executeTakeFirst();
  }

  /** The teams a project belongs to, oldest first (Sentry's `project.teams`). */
  ofProject(projectId: number): Promise<TeamRow[]> {
    return this.db
      .selectFrom('teams')
      .innerJoin('project_teams', 'project_teams.team_id', 'teams.id')
      .selectAll('teams')
      .where('project_teams.project_id', '=', projectId)
      .where('teams.status', '=', TEAM_STATUS_ACTIVE)
      .orderBy('teams.id')
      .execute();
  }
}
