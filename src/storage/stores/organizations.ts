import type { Insertable, Kysely } from 'kysely';
import type { DB, OrganizationRow, OrganizationTable } from '../schema.ts';
import type { IdOrSlug } from './id-or-slug.ts';

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

  byId(id: number): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }
}
