import type { CreateTableBuilder } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * A new table's `id`: its auto-numbered primary key, the first column (`serial` on PostgreSQL,
 * `integer primary key autoincrement` on SQLite, so a deleted row's id is never reused).
 * Migrations share it; changing it would change what every one of them creates.
 */
export function idColumn<T extends string>(dialect: Dialect, table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
  return dialect === 'postgres'
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
