/**
 * Sentry's cursor paginator (S:src/sentry/api/paginator.py `BasePaginator.get_result` with
 * `Paginator` keys, and S:src/sentry/utils/cursors.py `build_cursor`), ported line for line so that
 * cursors from Sentry's clients and the `Link` headers they follow behave exactly as against Sentry.
 */

export interface Cursor {
  value: number;
  offset: number;
  isPrev: boolean;
  hasResults?: boolean;
}

export const START_CURSOR: Cursor = { value: 0, offset: 0, isPrev: false };

export function formatCursor(cursor: Cursor): string {
  return `${cursor.value}:${cursor.offset}:${cursor.isPrev ? 1 : 0}`;
}

const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const PY_FLOAT = /^\s*[+-]?(?:\d+(?:_\d+)*)?\.(?:\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?\s*$/;
/** Beyond this an offset can only be a typo or an attack; Python would pass it to the database. */
const MAX_OFFSET = 2 ** 31 - 1;

function pyNumber(text: string, allowFloat: boolean): number | undefined {
  if (PY_INT.test(text)) return Number(text.trim().replaceAll('_', ''));
  if (allowFloat && PY_FLOAT.test(text) && /\d/.test(text)) return Number(text.trim().replaceAll('_', ''));
  return undefined;
}

/**
 * `Cursor.from_string`: "value:offset:is_prev", value an int (a float when it has a "."), the others
 * ints. Returns undefined where Sentry raises ValueError, and for a negative offset (a 500 in Sentry).
 */
export function parseCursor(text: string): Cursor | undefined {
  const bits = text.split(':');
  if (bits.length !== 3) return undefined;
  const [rawValue, rawOffset, rawPrev] = bits as [string, string, string];
  const value = pyNumber(rawValue, rawValue.includes('.'));
  const offset = pyNumber(rawOffset, false);
  const isPrev = pyNumber(rawPrev, false);
  if (value === undefined || offset === undefined || isPrev === undefined) return undefined;
  if (!Number.isFinite(value) || offset < 0 || offset > MAX_OFFSET) return undefined;
  return { value, offset, isPrev: isPrev !== 0 };
}

/** One page request to the store: rows ordered by the key, optionally bounded by a cursor value. */
export interface PageRequest {
  /** `key >= value` when ascending, `key <= value` when descending; absent on a cursor without a value. */
  bound?: number;
  ascending: boolean;
  offset: number;
  limit: number;
}

export interface PageResult<T> {
  results: T[];
  next: Cursor;
  prev: Cursor;
}

export interface PaginateOptions<T> {
  cursor: Cursor | undefined;
  limit: number;
  /** true for `order_by="-id"`. */
  descending: boolean;
  key: (row: T) => number;
  fetch: (request: PageRequest) => Promise<T[]>;
}

export async function paginate<T>(options: PaginateOptions<T>): Promise<PageResult<T>> {
  const cursor = options.cursor ?? START_CURSOR;
  const { limit, descending } = options;
  const isAsc = (forPrev: boolean) => (descending && forPrev) || !(descending || forPrev);
  const key = (row: T, forPrev = false) => {
    const value = options.key(row);
    return isAsc(forPrev) ? Math.floor(value) : Math.ceil(value);
  };

  // One extra row tells whether there is a next page; a prev cursor with a value also fetches the
  // row before, to compare it with the cursor value.
  const extra = cursor.isPrev && cursor.value ? 2 : 1;
  const ascending = isAsc(cursor.isPrev);
  let results = await options.fetch({
    ...(cursor.value ? { bound: cursor.value } : {}),
    ascending,
    offset: cursor.offset,
    limit: limit + extra,
  });

  if (cursor.isPrev && cursor.value) {
    if (results.length > 0 && key(results[0] as T, true) === cursor.value) results = results.slice(1);
    else if (results.length === cursor.offset + limit + extra) results = results.slice(0, -1);
  }
  if (cursor.isPrev) results.reverse();

  return buildCursor(results, { cursor, limit, descending, key });
}

interface BuildOptions<T> {
  cursor: Cursor;
  limit: number;
  descending: boolean;
  key: (row: T, forPrev?: boolean) => number;
}

function buildCursor<T>(rows: T[], options: BuildOptions<T>): PageResult<T> {
  const { cursor, limit } = options;
  const [nextValue, nextOffset, hasNext] = buildNextValues(rows, options);
  const [prevValue, prevOffset, hasPrev] = buildPrevValues(rows, options);

  let results = rows;
  if (cursor.isPrev && hasPrev) results = rows.slice(1);
  else if (!cursor.isPrev) results = rows.slice(0, limit);

  return {
    results,
    next: { value: nextValue || 0, offset: nextOffset, isPrev: false, hasResults: hasNext },
    prev: { value: prevValue || 0, offset: prevOffset, isPrev: true, hasResults: hasPrev },
  };
}

function buildNextValues<T>(rows: T[], { cursor, limit, descending, key }: BuildOptions<T>): [number, number, boolean] {
  let value = cursor.value;
  const count = rows.length;
  if (!value && count) value = key(rows[0] as T);
  // A prev cursor's next page starts from that cursor's value, without an offset.
  if (cursor.isPrev) return [value, 0, true];
  if (!count) return [value, cursor.offset, false];

  const hasNext = count > limit;
  const nextValue = key(rows[count - 1] as T);
  if (nextValue === value) return [nextValue, cursor.offset + limit, hasNext];

  // Rows sharing the next value on this page must be skipped by an offset on the next one.
  let nextOffset = 0;
  const reversed = [...rows].reverse();
  if (hasNext) reversed.shift();
  for (const row of reversed) {
    const rowValue = key(row);
    const sameSide = descending ? rowValue <= nextValue : rowValue >= nextValue;
    if (!sameSide) break;
    nextOffset += 1;
  }
  return [nextValue, nextOffset, hasNext];
}

function buildPrevValues<T>(rows: T[], { cursor, limit, descending, key }: BuildOptions<T>): [number, number, boolean] {
  const count = rows.length;
  const hasPrev = cursor.isPrev ? count > limit : Boolean(cursor.value || cursor.offset);
  const firstIndex = cursor.isPrev && hasPrev ? 1 : 0;
  const prevValue = count ? key(rows[firstIndex] as T, true) : 0;
  if (!(cursor.isPrev && count)) return [prevValue, cursor.isPrev ? cursor.offset : 0, hasPrev];
  if (prevValue === cursor.value) return [prevValue, cursor.offset + limit, hasPrev];

  let prevOffset = 0;
  const rest = rows.slice(hasPrev ? 2 : 1);
  for (const row of rest) {
    const rowValue = key(row, true);
    // Reversed checks: a prev query runs in the opposite order.
    const sameSide = descending ? rowValue >= prevValue : rowValue <= prevValue;
    if (!sameSide) break;
    prevOffset += 1;
  }
  return [prevValue, prevOffset, hasPrev];
}

/**
 * Sentry's `OffsetPaginator` (S:src/sentry/api/paginator.py): the cursor's offset is a page number
 * and its value the page size, so the second page of 25 is "25:1:0". Lists ordered by something
 * other than a number (slug, bookmark first) page this way.
 */
export interface OffsetPageRequest {
  offset: number;
  limit: number;
}

export async function offsetPaginate<T>(options: {
  cursor: Cursor | undefined;
  limit: number;
  fetch: (request: OffsetPageRequest) => Promise<T[]>;
}): Promise<PageResult<T>> {
  const cursor = options.cursor ?? START_CURSOR;
  const { limit } = options;
  const page = cursor.offset;
  // A float value (`1.5:0:0`) is sliced as Django slices a queryset: int() of each bound. A
  // negative one, where Django raises, gives an empty page rather than an error.
  const offset = page * cursor.value;
  const start = Math.max(0, Math.trunc(offset));
  const stop = Math.trunc(offset + (cursor.value || limit) + 1);
  let results = stop > start ? await options.fetch({ offset: start, limit: stop - start }) : [];
  // A cursor made for another page size: keep the rows that end where it ends.
  if (cursor.value !== limit) results = results.slice(-(limit + 1));
  return {
    results: results.slice(0, limit),
    next: { value: limit, offset: page + 1, isPrev: false, hasResults: results.length > limit },
    prev: { value: limit, offset: page - 1, isPrev: true, hasResults: page > 0 },
  };
}
