/**
 * Paging parameters and the `Link` header, as Sentry's `Endpoint.paginate` reads and writes them
 * (S:src/sentry/api/base.py, S:src/sentry/utils/pagination_factory.py).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatCursor, parseCursor, type Cursor, type PageResult } from '../domain/paginator.ts';
import { apiError } from './errors.ts';

export const MAX_PER_PAGE = 100;

export interface PageParams {
  cursor: Cursor | undefined;
  perPage: number;
}

export function readPageParams(query: { cursor?: string | undefined; per_page?: string | undefined }, defaultPerPage: number): PageParams {
  const maxPerPage = Math.max(MAX_PER_PAGE, defaultPerPage);
  let perPage = defaultPerPage;
  if (query.per_page !== undefined) {
    // Python's int(): optional sign, digits, underscores between digits, surrounding whitespace.
    if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(query.per_page)) throw apiError('invalid_per_page');
    perPage = Number(query.per_page.trim().replaceAll('_', ''));
    if (perPage < 1 || perPage > maxPerPage) throw apiError('per_page_out_of_range');
  }
  let cursor: Cursor | undefined;
  if (query.cursor) {
    cursor = parseCursor(query.cursor);
    if (!cursor) throw apiError('invalid_cursor');
  }
  return { cursor, perPage };
}

/** Python's `quote_plus` (what Django's QueryDict.urlencode uses): keeps only `A-Za-z0-9_.-~`. */
function quotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The request's query string without `cursor`, as Django re-encodes it. */
export function queryWithoutCursor(rawQuery: string): string {
  const params = new URLSearchParams(rawQuery);
  const pairs: string[] = [];
  for (const [key, value] of params) {
    if (key !== 'cursor') pairs.push(`${quotePlus(key)}=${quotePlus(value)}`);
  }
  return pairs.join('&');
}

function link(base: string, name: string, cursor: Cursor): string {
  const value = formatCursor(cursor);
  return `<${base}&cursor=${value}>; rel="${name}"; results="${cursor.hasResults ? 'true' : 'false'}"; cursor="${value}"`;
}

/**
 * Past this, the request's other parameters are left out of the links: echoed twice into one
 * header they would make the answer's headers larger than clients accept (16 KiB in Node).
 */
const MAX_ECHOED_QUERY = 2048;

/** `<{url}?{query}&cursor={prev}>; rel="previous"; …, <…>; rel="next"; …` */
export function linkHeader(absolutePath: string, rawQuery: string, prev: Cursor, next: Cursor): string {
  const query = queryWithoutCursor(rawQuery);
  const base = `${absolutePath}?${query.length > MAX_ECHOED_QUERY ? '' : query}`;
  return `${link(base, 'previous', prev)}, ${link(base, 'next', next)}`;
}

/** The request's URL on PUBLIC_URL, split at the query: what the `Link` header's URLs start from. */
export function absoluteUrl(publicUrl: string, request: FastifyRequest): { path: string; query: string } {
  const [path, query = ''] = request.url.split(/\?(.*)/s) as [string, string?];
  return { path: `${publicUrl}${path}`, query };
}

/** What a list's service is asked for: where the page starts and how long it is. */
export interface PageAsk {
  cursor: Cursor | undefined;
  limit: number;
}

/**
 * A list route's tail, as Sentry's `Endpoint.paginate` does it: the page the query asks for (a bad
 * `cursor` or `per_page` is a 400), that page from the service, and the `Link` header over it.
 * Resolves to the page's rows, for the route to serialize.
 */
export async function paginated<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { publicUrl: string; defaultPerPage: number },
  fetch: (page: PageAsk) => Promise<PageResult<T>>,
): Promise<T[]> {
  const params = readPageParams(request.query as { cursor?: string; per_page?: string }, options.defaultPerPage);
  const result = await fetch({ cursor: params.cursor, limit: params.perPage });
  const url = absoluteUrl(options.publicUrl, request);
  reply.header('link', linkHeader(url.path, url.query, result.prev, result.next));
  return result.results;
}
