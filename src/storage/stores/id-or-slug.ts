/**
 * Sentry's `id_or_slug` lookups: an all-digit value is an id, anything else a slug (slugs are never
 * all digits).
 */
export type IdOrSlug = { id: number } | { slug: string };

const MAX_ID = 2 ** 31 - 1;
/** What any slug (org, team, project) can be made of; anything else names nothing. */
const PLAUSIBLE_SLUG = /^[A-Za-z0-9_.$-]{1,100}$/;
/** Matches no row, and is a valid parameter on every database (PostgreSQL refuses NUL in text). */
const NOTHING: IdOrSlug = { id: -1 };

export function idOrSlug(value: string): IdOrSlug {
  if (/^[0-9]+$/.test(value)) {
    const id = Number(value);
    return id <= MAX_ID ? { id } : NOTHING;
  }
  return PLAUSIBLE_SLUG.test(value) ? { slug: value } : NOTHING;
}
