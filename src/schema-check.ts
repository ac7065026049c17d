/**
 * What the server and the CLI do with the schema they find: an empty database gets the whole
 * schema at once (a first `npm start` just works); an older one is migrated only when asked
 * (`clientkeys migrate`, `serve --migrate`, AUTO_MIGRATE=1), since an upgrade deserves a backup
 * first; one migrated by a newer clientkeys is never touched.
 */
import type { Database } from './storage/database.ts';
import type { SchemaState } from './storage/migrate.ts';
import { VERSION } from './version.ts';

export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError';
  constructor(readonly state: Extract<SchemaState, { kind: 'outdated' | 'newer' }>) {
    super(mismatchMessage(state));
  }
}

export function mismatchMessage(state: Extract<SchemaState, { kind: 'outdated' | 'newer' }>): string {
  if (state.kind === 'newer') {
    return (
      `the database was migrated by a newer clientkeys (its migrations ${state.unknown.join(', ')} are unknown to ` +
      `clientkeys ${VERSION}): run that version or a later one`
    );
  }
  const more = state.pending.length === 1 ? 'one more migration' : `${state.pending.length} more migrations`;
  return (
    `the database schema is at ${state.version} and clientkeys ${VERSION} needs ${more} (${state.pending.join(', ')}): ` +
    'back it up (`clientkeys backup FILE`), then run `clientkeys migrate`, ' +
    'or start the server with `clientkeys serve --migrate` or AUTO_MIGRATE=1'
  );
}

export interface SchemaOutcome {
  /** The migrations applied now (all of them for a new database, none when it was current). */
  applied: string[];
  created: boolean;
}

/** Make the schema usable or throw SchemaMismatchError saying what to run. */
export async function ensureSchema(db: Database, options: { migrate: boolean }): Promise<SchemaOutcome> {
  const state = await db.schemaState();
  switch (state.kind) {
    case 'current':
      return { applied: [], created: false };
    case 'empty':
      return { applied: (await db.migrate()).applied, created: true };
    case 'outdated':
      if (!options.migrate) throw new SchemaMismatchError(state);
      return { applied: (await db.migrate()).applied, created: false };
    case 'newer':
      throw new SchemaMismatchError(state);
  }
}
