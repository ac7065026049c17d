import { type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { idColumn } from './id-column.ts';

/**
 * The web page's sign-in: sessions (looked up by the SHA-256 of the cookie's value, like tokens,
 * so a copy of the database signs no one in) and the sign-in throttle's counters, kept in the
 * database so that every instance counts the same attempts.
 */
export function sessions(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await idColumn(dialect, db.schema.createTable('sessions'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('ip_address', 'text')
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

      await db.schema
        .createTable('signin_attempts')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('window_end', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
