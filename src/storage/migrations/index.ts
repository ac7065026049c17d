import type { Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { initial } from './0001-initial.ts';
import { ingest } from './0002-ingest.ts';

/**
 * Every schema version, in order. Forward-only: a released migration is never edited, a change is
 * a new entry.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-ingest': ingest(dialect),
  };
}
