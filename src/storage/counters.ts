/**
 * The upserts of the rows that every instance writes to (counters, latest times): an instance adds
 * what it counted, or offers the time it saw, and never overwrites what another one wrote.
 */
import { sql, type RawBuilder } from 'kysely';

/** `column = table.column + excluded.column`, for each counter column. */
export function addedTo<C extends string>(table: string, columns: readonly C[]): Record<C, RawBuilder<number>> {
  const entries = columns.map((column) => [column, sql<number>`${sql.ref(`${table}.${column}`)} + ${sql.ref(`excluded.${column}`)}`]);
  return Object.fromEntries(entries) as Record<C, RawBuilder<number>>;
}

/**
 * The later of the stored and the offered ISO time (ISO timestamps compare as text), whichever
 * instance writes first; a null offered leaves the stored one.
 */
export function laterOf(table: string, column: string): RawBuilder<string | null> {
  const stored = sql.ref(`${table}.${column}`);
  const offered = sql.ref(`excluded.${column}`);
  return sql<string | null>`case when ${offered} is not null and (${stored} is null or ${offered} > ${stored}) then ${offered} else ${stored} end`;
}
