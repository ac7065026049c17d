import { sql, type Expression, type RawBuilder } from 'kysely';

/**
 * Django's `icontains`: a case-insensitive substring match that treats `%` and `_` in the text
 * literally. `lower(…) LIKE … ESCAPE '\'` means the same on SQLite and PostgreSQL.
 */
export function icontains(column: Expression<string>, text: string): RawBuilder<boolean> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${column}) like ${pattern} escape '\\'`;
}
