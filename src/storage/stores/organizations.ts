import type { ExpressionBuilder, Insertable, Kysely, Updateable } from 'kysely';
import type { DB, OrganizationRow, OrganizationTable } from '../schema.ts';
import type { IdOrSlug } from './id-or-slug.ts';
import { icontains } from './like.ts';

/** Which organizations a list covers; every present field narrows it. */
export interface OrganizationFilter {
  /** Organizations this user is a member of. */
  memberUserId?: number;
  /** Only this organization (an organization credential's own). */
  organizationId?: number;
  slugs?: string[];
  ids?: number[];
  statuses?: number[];
  /** Name or slug contains the text, or a member has it as email. */
  text?: string;
  memberEmails?: string[];
  memberIds?: number[];
}

/** One page by creation date, newest first unless a previous-page cursor asks otherwise. */
export interface DatePageRequest {
  /** Inclusive bound on date_created, ISO text. */
  bound?: string;
  ascending: boolean;
  offset: number;
  limit: number;
}

export const ORG_STATUS_ACTIVE = 0;

export class OrganizationStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<OrganizationTable>): Promise<OrganizationRow> {
    return this.db.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** An active organization by id or slug. */
  find(ref: IdOrSlug): Promise<OrganizationRow | undefined> {
    let query = this.db.selectFrom('organizations').selectAll().where('status', '=', ORG_STATUS_ACTIVE);
    query = 'id' in ref ? query.where('id', '=', ref.id) : query.where('slug', '=', ref.slug);
    return query.executeTakeFirst();
  }

  /** One page by creation date (Sentry's default order for the list). */
  page(filter: OrganizationFilter, request: DatePageRequest): Promise<OrganizationRow[]> {
    let query = this.filtered(filter);
    if (request.bound !== undefined) query = query.where('organizations.date_created', request.ascending ? '>=' : '<=', request.bound);
    return query
      .orderBy('organizations.date_created', request.ascending ? 'asc' : 'desc')
      .orderBy('organizations.id', request.ascending ? 'asc' : 'desc')
      .limit(request.limit)
      .offset(request.offset)
      .execute();
  }

  /** One page by member count, largest first (`sortBy=members`). */
  pageByMembers(filter: OrganizationFilter, request: { offset: number; limit: number }): Promise<OrganizationRow[]> {
    return this.filtered(filter)
      .orderBy(
        (eb) =>
          eb
            .selectFrom('members')
            .select((e) => e.fn.countAll().as('count'))
            .whereRef('members.organization_id', '=', 'organizations.id'),
        'desc',
      )
      .orderBy('organizations.id')
      .limit(request.limit)
      .offset(request.offset)
      .execute();
  }

  /** Organizations the user owns, by name, with how many owners each has (`owner=1`). */
  async ownedBy(userId: number): Promise<{ organization: OrganizationRow; owners: number }[]> {
    const rows = await this.db
      .selectFrom('organizations')
      .innerJoin('members', 'members.organization_id', 'organizations.id')
      .selectAll('organizations')
      .select((eb) =>
        eb
          .selectFrom('members as owners')
          .select((e) => e.fn.countAll<number | string>().as('count'))
          .whereRef('owners.organization_id', '=', 'organizations.id')
          .where('owners.role', '=', 'owner')
          .as('owner_count'),
      )
      .where('members.user_id', '=', userId)
      .where('members.role', '=', 'owner')
      .orderBy('organizations.name')
      .execute();
    return rows.map(({ owner_count: owners, ...organization }) => ({ organization, owners: Number(owners) }));
  }

  private filtered(filter: OrganizationFilter) {
    let query = this.db.selectFrom('organizations').selectAll('organizations');
    const memberOf = (eb: ExpressionBuilder<DB, 'organizations'>, column: 'members.user_id' | 'members.id', values: number[]) =>
      eb.exists(
        eb
          .selectFrom('members')
          .select('members.id')
          .whereRef('members.organization_id', '=', 'organizations.id')
          .where(column, 'in', values),
      );
    const userId = filter.memberUserId;
    if (userId !== undefined) query = query.where((eb) => memberOf(eb, 'members.user_id', [userId]));
    if (filter.organizationId !== undefined) query = query.where('organizations.id', '=', filter.organizationId);
    if (filter.slugs) {
      const slugs = filter.slugs.map((s) => s.toLowerCase());
      query = query.where((eb) => eb(eb.fn('lower', ['organizations.slug']), 'in', slugs.length ? slugs : ['']));
    }
    if (filter.ids) query = query.where('organizations.id', 'in', filter.ids.length ? filter.ids : [-1]);
    if (filter.statuses) query = query.where('organizations.status', 'in', filter.statuses.length ? filter.statuses : [-1]);
    if (filter.memberIds) {
      const ids = filter.memberIds.length ? filter.memberIds : [-1];
      query = query.where((eb) => memberOf(eb, 'members.id', ids));
    }
    const usersWithEmails = (emails: string[]) =>
      this.db.selectFrom('users').select('users.id').where('users.email', 'in', emails.length ? emails.map((e) => e.toLowerCase()) : ['']);
    if (filter.memberEmails) {
      const emails = filter.memberEmails;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('members')
            .select('members.id')
            .whereRef('members.organization_id', '=', 'organizations.id')
            .where('members.user_id', 'in', usersWithEmails(emails)),
        ),
      );
    }
    if (filter.text !== undefined) {
      const text = filter.text;
      query = query.where((eb) =>
        eb.or([
          icontains(eb.ref('organizations.name'), text),
          icontains(eb.ref('organizations.slug'), text),
          eb.exists(
            eb
              .selectFrom('members')
              .select('members.id')
              .whereRef('members.organization_id', '=', 'organizations.id')
              .where('members.user_id', 'in', usersWithEmails([text])),
          ),
        ]),
      );
    }
    return query;
  }

  update(id: number, patch: Updateable<OrganizationTable>): Promise<OrganizationRow> {
    return this.db.updateTable('organizations').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  byId(id: number): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }
}
