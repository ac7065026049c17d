import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { idColumn } from './id-column.ts';

/**
 * What the ingest gate keeps: per-key outcome counters by time bucket (the stats endpoint),
 * fixed-window rate-limit counters shared by several instances, and the latest events per project.
 * No foreign keys on purpose: counters are written in batches after the fact, and a key deleted in
 * between must not make the whole batch fail.
 */
export function ingest(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('key_stats')
        .addColumn('key_id', 'integer', (c) => c.notNull())
        // Bucket length in seconds (10 or 3600); `ts` is the bucket's start, unix seconds.
        .addColumn('rollup', 'integer', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('accepted', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('dropped', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('filtered', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('key_stats_pk', ['key_id', 'rollup', 'ts'])
        .execute();

      await db.schema
        .createTable('rate_limit_counters')
        .addColumn('quota', 'text', (c) => c.notNull())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('used', 'bigint', (c) => c.notNull())
        // Unix seconds after which the row may be deleted.
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limit_counters_pk', ['quota', 'slot'])
        .execute();
      await db.schema.createIndex('rate_limit_counters_expires').on('rate_limit_counters').column('expires_at').execute();

      await idColumn(dialect, db.schema.createTable('recent_events'))
        .addColumn('project_id', 'integer', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text')
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('item_types', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sdk', 'text')
        .addColumn('platform', 'text')
        .addColumn('level', 'text')
        .addColumn('title', 'text')
        .execute();
      await db.schema.createIndex('recent_events_project').on('recent_events').columns(['project_id', 'id']).execute();
    },
  };
}
