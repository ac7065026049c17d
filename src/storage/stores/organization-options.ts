import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** Sentry's OrganizationOption: settings stored per organization as key → JSON value. */
export class OrganizationOptionStore {
  constructor(private readonly db: Kysely<DB>) {}

  async get(organizationId: number, key: string): Promise<unknown> {
    const row = await this.db
      .selectFrom('organization_options')
      .select('value')
      .where('organization_id', '=', organizationId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  async set(organizationId: number, key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    await this.db
      .insertInto('organization_options')
      .values({ organization_id: organizationId, key, value: text })
      .onConflict((oc) => oc.columns(['organization_id', 'key']).doUpdateSet({ value: text }))
      .execute();
  }

  async delete(organizationId: number, key: string): Promise<void> {
    await this.db.deleteFrom('organization_options').where('organization_id', '=', organizationId).where('key', '=', key).execute();
  }
}
