import type { Kysely } from 'kysely';

/**
 * Key health (clientkeys): refusals per key, reason and hour; what SDKs reported dropping
 * themselves (client reports) per key, reason, category and hour; when a key last got a request
 * through and was last refused; and the marks that keep an alert to at most one per period across
 * every instance.
 */
export function keyHealth() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('key_refusals')
        .addColumn('key_id', 'integer', (c) => c.notNull())
        .addColumn('ts', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('key_refusals_pk', ['key_id', 'ts', 'reason'])
        .execute();
      await db.schema
        .createTable('key_discards')
        .addColumn('key_id', 'integer', (c) => c.notNull())
        .addColumn('ts', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('quantity', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('key_discards_pk', ['key_id', 'ts', 'reason', 'category'])
        .execute();
      await db.schema
        .createTable('key_activity')
        .addColumn('key_id', 'integer', (c) => c.primaryKey())
        .addColumn('last_accepted_at', 'text')
        .addColumn('last_refused_at', 'text')
        .execute();
      await db.schema
        .createTable('alert_marks')
        .addColumn('mark', 'text', (c) => c.primaryKey())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
