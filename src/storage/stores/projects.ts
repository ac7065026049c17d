import type { Insertable, Kysely, Updateable } from 'kysely';
import type { DB, ProjectRow, ProjectTable } from '../schema.ts';
import { groupBy } from './group-by.ts';
import type { IdOrSlug } from './id-or-slug.ts';
import { icontains } from './like.ts';

export const PROJECT_STATUS_ACTIVE = 0;
/** ObjectStatus.PENDING_DELETION: hidden from every view, its keys no longer served. */
export const PROJECT_STATUS_PENDING_DELETION = 2;

/** The filters of Sentry's organization project list; every present field narrows it. */
export interface ProjectFilter {
  text?: string;
  ids?: number[];
  slugs?: string[];
  /** In one of these teams (slugs). */
  teamSlugs?: string[];
  /** In none of these teams (slugs). */
  notTeamSlugs?: string[];
  /** In a team this user is a member of. */
  memberUserId?: number;
  /** Only projects that belong to some team (what organization credentials see). */
  withTeam?: boolean;
  /** An unknown query key: Sentry answers an empty list. */
  none?: boolean;
}

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

  /** A project by id in whatever state (pending deletion included). */
  byId(id: number): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async slugTaken(organizationId: number, slug: string, exceptId?: number): Promise<ProjectRow | undefined> {
    let query = this.db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).where('slug', '=', slug);
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    return query.executeTakeFirst();
  }

  update(id: number, patch: Updateable<ProjectTable>): Promise<ProjectRow> {
    return this.db.updateTable('projects').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  /** The active projects of an organization, for a query to narrow. */
  private activeOf(organizationId: number) {
    return this.db
      .selectFrom('projects')
      .selectAll('projects')
      .where('projects.organization_id', '=', organizationId)
      .where('projects.status', '=', PROJECT_STATUS_ACTIVE);
  }

  /** Active projects of an organization, optionally only those of one team. */
  list(organizationId: number, options: { teamId?: number } = {}): Promise<ProjectRow[]> {
    let query = this.activeOf(organizationId);
    if (options.teamId !== undefined) {
      query = query
        .innerJoin('project_teams', 'project_teams.project_id', 'projects.id')
        .where('project_teams.team_id', '=', options.teamId);
    }
    return query.orderBy('projects.slug').execute();
  }

  /**
   * Active projects of an organization, filtered, ordered by slug; with `bookmarkedBy`, that
   * user's bookmarked projects first (Sentry orders by `-is_bookmarked, slug`). Without a page,
   * every row.
   */
  page(
    organizationId: number,
    filter: ProjectFilter,
    order: { bookmarkedBy?: number },
    request?: { offset: number; limit: number },
  ): Promise<ProjectRow[]> {
    if (filter.none) return Promise.resolve([]);
    let query = this.activeOf(organizationId);
    const inTeams = (slugs: string[]) =>
      this.db
        .selectFrom('project_teams')
        .innerJoin('teams', 'teams.id', 'project_teams.team_id')
        .select('project_teams.project_id')
        .where('teams.organization_id', '=', organizationId)
        .where('teams.slug', 'in', slugs.length ? slugs : ['']);
    if (filter.text !== undefined) {
      const text = filter.text;
      query = query.where((eb) => eb.or([icontains(eb.ref('projects.name'), text), icontains(eb.ref('projects.slug'), text)]));
    }
    if (filter.ids) query = query.where('projects.id', 'in', filter.ids.length ? filter.ids : [-1]);
    if (filter.slugs) query = query.where('projects.slug', 'in', filter.slugs.length ? filter.slugs : ['']);
    if (filter.teamSlugs) query = query.where('projects.id', 'in', inTeams(filter.teamSlugs));
    if (filter.notTeamSlugs) query = query.where('projects.id', 'not in', inTeams(filter.notTeamSlugs));
    if (filter.memberUserId !== undefined) {
      const userId = filter.memberUserId;
      query = query.where('projects.id', 'in', (eb) =>
        eb
          .selectFrom('project_teams')
          .innerJoin('team_members', 'team_members.team_id', 'project_teams.team_id')
          .innerJoin('members', 'members.id', 'team_members.member_id')
          .select('project_teams.project_id')
          .where('members.user_id', '=', userId),
      );
    }
    if (filter.withTeam) query = query.where('projects.id', 'in', (eb) => eb.selectFrom('project_teams').select('project_id'));
    const userId = order.bookmarkedBy;
    if (userId !== undefined) {
      query = query.orderBy(
        (eb) =>
          eb
            .case()
            .when(
              eb.exists(
                eb
                  .selectFrom('project_bookmarks')
                  .select('project_bookmarks.project_id')
                  .whereRef('project_bookmarks.project_id', '=', 'projects.id')
                  .where('project_bookmarks.user_id', '=', userId),
              ),
            )
            .then(0)
            .else(1)
            .end(),
        'asc',
      );
    }
    query = query.orderBy('projects.slug').orderBy('projects.id');
    return (request ? query.limit(request.limit).offset(request.offset) : query).execute();
  }

  /** team id → its active projects by slug, for several teams at once. */
  async ofTeams(teamIds: readonly number[]): Promise<Map<number, ProjectRow[]>> {
    if (teamIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('projects')
      .innerJoin('project_teams', 'project_teams.project_id', 'projects.id')
      .selectAll('projects')
      .select('project_teams.team_id')
      .where('project_teams.team_id', 'in', teamIds)
      .where('projects.status', '=', PROJECT_STATUS_ACTIVE)
      .orderBy('projects.slug')
      .execute();
    return groupBy(rows, (row) => row.team_id, ({ team_id: _, ...project }) => project);
  }

  /** project id → ids of its teams, for the projects of one organization. */
  async teamIdsByProject(organizationId: number): Promise<Map<number, number[]>> {
    const rows = await this.db
      .selectFrom('project_teams')
      .innerJoin('projects', 'projects.id', 'project_teams.project_id')
      .select(['project_teams.project_id', 'project_teams.team_id'])
      .where('projects.organization_id', '=', organizationId)
      .execute();
    return groupBy(rows, (row) => row.project_id, (row) => row.team_id);
  }
}
