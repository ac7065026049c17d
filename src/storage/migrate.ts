import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Dialect } from './dialect.ts';
import { migrations } from './migrations/index.ts';

export interface MigrationOutcome {
  applied: string[];
}

function migrator(db: Kysely<unknown>, dialect: Dialect): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations(dialect) } });
}

/** Bring the schema to the latest version; Kysely's migration lock keeps concurrent runs apart. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<MigrationOutcome> {
  const { error, results } = await migrator(db, dialect).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName) };
}

/** The migrations that have not run yet, in the order they would run. */
export async function pendingMigrations(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const all = await migrator(db, dialect).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
