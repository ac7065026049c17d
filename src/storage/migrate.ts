import { DEFAULT_MIGRATION_TABLE, Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import type { Dialect } from './dialect.ts';
import { migrations } from './migrations/index.ts';

export interface MigrationOutcome {
  applied: string[];
}

/**
 * Where a database's schema stands against the migrations this code knows:
 * - `empty`: no migration ever ran (a new database): safe to create the schema at once;
 * - `current`: every known migration ran;
 * - `outdated`: an older clientkeys made it; `pending` would run, in order;
 * - `newer`: a newer clientkeys migrated it (`unknown` are its migrations this code lacks).
 */
export type SchemaState =
  | { kind: 'empty'; pending: string[] }
  | { kind: 'current'; version: string }
  | { kind: 'outdated'; version: string; pending: string[] }
  | { kind: 'newer'; version: string; unknown: string[] };

/** The names of every migration in the order Kysely runs them (by name): the schema versions. */
export function migrationNames(dialect: Dialect): string[] {
  return Object.keys(migrations(dialect)).sort();
}

function migrator(db: Kysely<unknown>, dialect: Dialect, onApplied?: (name: string) => void): Migrator {
  const all = migrations(dialect);
  // Kysely runs the pending migrations in one transaction and offers no hook between them: each
  // `up` reports itself when done, which is what a progress bar needs.
  const reported = onApplied
    ? Object.fromEntries(
        Object.entries(all).map(([name, migration]): [string, Migration] => [
          name,
          {
            ...migration,
            async up(db) {
              await migration.up(db);
              onApplied(name);
            },
          },
        ]),
      )
    : all;
  return new Migrator({ db, provider: { getMigrations: async () => reported } });
}

/**
 * Bring the schema to the latest version. Kysely's migration lock keeps concurrent runs (several
 * instances starting together) apart: the second finds nothing left to do.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, onApplied?: (name: string) => void): Promise<MigrationOutcome> {
  const { error, results } = await migrator(db, dialect, onApplied).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Bring the schema to exactly `name` (a fresh database built as an older version had it). */
export async function migrateTo(db: Kysely<unknown>, dialect: Dialect, name: string): Promise<void> {
  const { error } = await migrator(db, dialect).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

type MigrationTables = Record<typeof DEFAULT_MIGRATION_TABLE, { name: string; timestamp: string }>;

/** The names of the migrations that ran on this database, in the order they ran. */
export async function executedMigrations(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === DEFAULT_MIGRATION_TABLE)) return [];
  const rows = await (db as Kysely<MigrationTables>)
    .selectFrom(DEFAULT_MIGRATION_TABLE)
    .select(['name', 'timestamp'])
    .orderBy('timestamp')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

export async function schemaState(db: Kysely<unknown>, dialect: Dialect): Promise<SchemaState> {
  const known = migrationNames(dialect);
  const executed = await executedMigrations(db);
  if (executed.length === 0) return { kind: 'empty', pending: known };
  const unknown = executed.filter((name) => !known.includes(name));
  const version = [...executed].sort().at(-1) as string;
  if (unknown.length > 0) return { kind: 'newer', version, unknown };
  const pending = known.filter((name) => !executed.includes(name));
  return pending.length === 0 ? { kind: 'current', version } : { kind: 'outdated', version, pending };
}
