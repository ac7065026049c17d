import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Gateway mode: a project's upstream (its backend's DSN, which holds the backend's key and never
 * leaves the server), the durable delivery queue every accepted request waits in until its backend
 * took it, and what delivery did per project. Times in the queue are Unix milliseconds.
 */
export function gateway(dialect: Dialect) {
  const idColumn = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('projects').addColumn('upstream_dsn', 'text').execute();
      await db.schema
        .createTable('deliveries')
        .addColumn('id', idColumn, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('project_id', 'integer', (c) => c.notNull())
        // The backend as the gate's rate limits know it: `<host>/<project id>`, or `forward`.
        .addColumn('upstream', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('body', bytes)
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('event_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .execute();
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['next_attempt_at', 'id']).execute();
      await db.schema.createIndex('deliveries_project').on('deliveries').columns(['project_id', 'id']).execute();
      await db.schema
        .createTable('upstream_stats')
        .addColumn('project_id', 'integer', (c) => c.primaryKey())
        .addColumn('delivered', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('refused', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('rate_limited', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_delivered_at', 'text')
        .addColumn('last_error_status', 'integer')
        .addColumn('last_error_reason', 'text')
        .addColumn('last_error_at', 'text')
        .execute();
    },
  };
}
