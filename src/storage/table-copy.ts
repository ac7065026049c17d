/**
 * Copying whole tables between two databases (SQLite or PostgreSQL, either way), for backups and
 * restores. Tables and columns come from the databases themselves, so a table added by a later
 * migration is copied without this module knowing it.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';

// Tables are not known statically here: the copy works over whatever the migrations made.
export type AnyKysely = Kysely<any>;

export type Row = Record<string, unknown>;

export interface TableInfo {
  name: string;
  columns: string[];
}

/** The tables clientkeys' migrations made (not Kysely's own, not views), with their columns. */
export async function dataTables(db: AnyKysely, dialect: Dialect): Promise<TableInfo[]> {
  const schema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const tables = await db.introspection.getTables();
  return tables
    .filter((t) => !t.isView && (schema === undefined || t.schema === schema))
    .map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function countRows(db: AnyKysely, table: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Bound parameters per statement stay well under both engines' limits (SQLite 32766, PostgreSQL 65535). */
function batchSize(table: TableInfo): number {
  return Math.max(1, Math.min(1000, Math.floor(10_000 / Math.max(1, table.columns.length))));
}

/**
 * A table's rows in batches. Tables with an `id` page by it (cheap on large tables such as the
 * audit log); the others (join tables) by offset over a total order of every column.
 */
export async function* readRows(db: AnyKysely, table: TableInfo): AsyncGenerator<Row[]> {
  const size = batchSize(table);
  if (table.columns.includes('id')) {
    let after: unknown = undefined;
    for (;;) {
      let query = db.selectFrom(table.name).selectAll().orderBy('id').limit(size);
      if (after !== undefined) query = query.where('id', '>', after);
      const rows = (await query.execute()) as Row[];
      if (rows.length === 0) return;
      yield rows;
      after = rows.at(-1)?.id;
      if (rows.length < size) return;
    }
  }
  for (let offset = 0; ; offset += size) {
    let query = db.selectFrom(table.name).selectAll();
    for (const column of table.columns) query = query.orderBy(column);
    const rows = (await query.limit(size).offset(offset).execute()) as Row[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < size) return;
  }
}

/**
 * A value as both engines store it: the schema keeps timestamps as ISO text and booleans as 0/1,
 * but a column a later migration types natively comes back from pg as a Date or a boolean.
 */
function portable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

export async function insertRows(db: AnyKysely, table: string, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, portable(v)])));
  await db.insertInto(table).values(values).execute();
}

/**
 * Parents before children, from a SQLite database's foreign keys (backups are SQLite files, so
 * their own catalogue says which table references which).
 */
export async function foreignKeyOrder(sqliteDb: AnyKysely, tables: TableInfo[]): Promise<TableInfo[]> {
  const parents = new Map<string, Set<string>>();
  for (const table of tables) {
    const refs = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table.name})`.execute(sqliteDb);
    parents.set(table.name, new Set(refs.rows.map((r) => r.table).filter((t) => t !== table.name)));
  }
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.filter((t) => !placed.has(t.name) && [...(parents.get(t.name) ?? [])].every((p) => placed.has(p) || !parents.has(p)));
    if (next.length === 0) throw new Error('the tables reference each other in a cycle; cannot order them for a restore');
    for (const table of next) {
      ordered.push(table);
      placed.add(table.name);
    }
  }
  return ordered;
}

/**
 * After rows came in with their ids, PostgreSQL's sequences must move past them (SQLite's
 * AUTOINCREMENT follows the largest id by itself).
 */
export async function resetSequences(db: AnyKysely, dialect: Dialect, tables: TableInfo[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of tables.filter((t) => t.columns.includes('id'))) {
    await sql`select setval(pg_get_serial_sequence(${table.name}, 'id'), max(id)) from ${sql.table(table.name)} having max(id) is not null`.execute(db);
  }
}
