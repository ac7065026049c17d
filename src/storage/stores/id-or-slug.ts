/**
 * Sentry's `id_or_slug` lookups: an all-digit value is an id, anything else a slug (slugs are never
 * all digits).
 */
export type IdOrSlug = { id: number } | { slug: string };

const MAX_ID = 2 ** 31 - 1;

export function idOrSlug(value: string): IdOrSlug {
  if (/^[0-9]+$/.test(value)) {
    const id = Number(value);
    // An id beyond the column's range matches nothing; -1 keeps the query valid on PostgreSQL.
    return { id: id <= MAX_ID ? id : -1 };
  }
  return { slug: value };
}
