import type { Insertable, Kysely } from 'kysely';
import type { DB, TeamRow, TeamTable } from '../schema.ts';
import { groupBy } from './group-by.ts';
import type { IdOrSlug } from './id-or-slug.ts';
import { icontains } from './like.ts';

export const TEAM_STATUS_ACTIVE = 0;

/** The `query` filters of Sentry's team list; every present field narrows it. */
export interface TeamFilter {
  text?: string;
  slugs?: string[];
  ids?: number[];
  /** An unknown query key: Sentry answers an empty list. */
  none?: boolean;
}

export class TeamStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<TeamTable>): Promise<TeamRow> {
    return this.db.insertInto('teams').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** The active teams of an organization, for a query to narrow. */
  private activeOf(organizationId: number) {
    return this.db.selectFrom('teams').selectAll().where('organization_id', '=', organizationId).where('status', '=', TEAM_STATUS_ACTIVE);
  }

  find(organizationId: number, ref: IdOrSlug): Promise<TeamRow | undefined> {
    let query = this.activeOf(organizationId);
    query = 'id' in ref ? query.where('id', '=', ref.id) : query.where('slug', '=', ref.slug);
    return query.executeTakeFirst();
  }

  async slugTaken(organizationId: number, slug: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('teams')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Active teams of an organization by slug, one page (offset/limit) at a time. */
  page(organizationId: number, filter: TeamFilter, request?: { offset: number; limit: number }): Promise<TeamRow[]> {
    if (filter.none) return Promise.resolve([]);
    let query = this.activeOf(organizationId);
    if (filter.text !== undefined) {
      const text = filter.text;
      query = query.where((eb) => eb.or([icontains(eb.ref('name'), text), icontains(eb.ref('slug'), text)]));
    }
    if (filter.slugs) query = query.where('slug', 'in', filter.slugs.length ? filter.slugs : ['']);
    if (filter.ids) query = query.where('id', 'in', filter.ids.length ? filter.ids : [-1]);
    query = query.orderBy('slug').orderBy('id');
    return (request ? query.limit(request.limit).offset(request.offset) : query).execute();
  }

  /** Every active team of an organization, by slug. */
  list(organizationId: number): Promise<TeamRow[]> {
    return this.page(organizationId, {});
  }

  /** The teams a project belongs to, oldest first (Sentry's `project.teams`). */
  async ofProject(projectId: number): Promise<TeamRow[]> {
    return (await this.ofProjects([projectId])).get(projectId) ?? [];
  }

  /** project id → its active teams, oldest link first, for several projects at once. */
  async ofProjects(projectIds: readonly number[]): Promise<Map<number, TeamRow[]>> {
    if (projectIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('teams')
      .innerJoin('project_teams', 'project_teams.team_id', 'teams.id')
      .selectAll('teams')
      .select('project_teams.project_id')
      .where('project_teams.project_id', 'in', projectIds)
      .where('teams.status', '=', TEAM_STATUS_ACTIVE)
      .orderBy('teams.id')
      .execute();
    return groupBy(rows, (row) => row.project_id, ({ project_id: _, ...team }) => team);
  }
}
