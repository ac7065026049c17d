import { describe, expect, it } from 'vitest';
import { formatCursor, offsetPaginate, paginate, parseCursor, type Cursor, type PageRequest } from '../src/domain/paginator.ts';
import { linkHeader, queryWithoutCursor, readPageParams } from '../src/http/pagination.ts';

/** An in-memory table of ids that answers page requests like the store does. */
function fetcher(ids: number[]) {
  const requests: PageRequest[] = [];
  const fetch = async (request: PageRequest) => {
    requests.push(request);
    let rows = [...ids].sort((a, b) => (request.ascending ? a - b : b - a));
    if (request.bound !== undefined) rows = rows.filter((id) => (request.ascending ? id >= request.bound! : id <= request.bound!));
    return rows.slice(request.offset, request.offset + request.limit).map((id) => ({ id }));
  };
  return { fetch, requests };
}

const page = (ids: number[], cursor: Cursor | undefined, limit: number) =>
  paginate({ cursor, limit, descending: true, key: (r: { id: number }) => r.id, fetch: fetcher(ids).fetch });

describe('Sentry cursor format', () => {
  it('parses value:offset:is_prev', () => {
    expect(parseCursor('5:0:0')).toEqual({ value: 5, offset: 0, isPrev: false });
    expect(parseCursor('7:10:1')).toEqual({ value: 7, offset: 10, isPrev: true });
    expect(parseCursor('1.5:0:0')).toEqual({ value: 1.5, offset: 0, isPrev: false });
    expect(parseCursor(' 5:0:2')).toEqual({ value: 5, offset: 0, isPrev: true });
  });

  it.each(['', '5', '5:0', '5:0:0:0', 'a:0:0', '5:x:0', '5:0:y', '5:1.5:0', '5:-1:0', '1e5:0:0', 'nan:0:0'])('refuses %j', (text) => {
    expect(parseCursor(text)).toBeUndefined();
  });

  it('formats back', () => {
    expect(formatCursor({ value: 5, offset: 1, isPrev: false })).toBe('5:1:0');
    expect(formatCursor({ value: 7, offset: 0, isPrev: true })).toBe('7:0:1');
  });
});

describe('paginate (port of BasePaginator.get_result + build_cursor)', () => {
  it('walks the worked example: ids 5,6,7 at two per page', async () => {
    const first = await page([5, 6, 7], undefined, 2);
    expect(first.results.map((r) => r.id)).toEqual([7, 6]);
    expect(first.prev).toEqual({ value: 7, offset: 0, isPrev: true, hasResults: false });
    expect(first.next).toEqual({ value: 5, offset: 0, isPrev: false, hasResults: true });

    const second = await page([5, 6, 7], first.next, 2);
    expect(second.results.map((r) => r.id)).toEqual([5]);
    expect(second.prev).toEqual({ value: 5, offset: 0, isPrev: true, hasResults: true });
    // Sentry's `_build_next_values`: next value == cursor value → offset + limit, i.e. 5:2:0.
    // (The spec's worked example says 5:1:0; Sentry's code gives 5:2:0, and we follow the code.)
    expect(second.next).toEqual({ value: 5, offset: 2, isPrev: false, hasResults: false });
  });

  it('gives a single page the cursors of the spec example (7,6,5 → prev 7:0:1, next 5:1:0)', async () => {
    const only = await page([5, 6, 7], undefined, 10);
    expect(only.results.map((r) => r.id)).toEqual([7, 6, 5]);
    expect(formatCursor(only.prev)).toBe('7:0:1');
    expect(only.prev.hasResults).toBe(false);
    expect(formatCursor(only.next)).toBe('5:1:0');
    expect(only.next.hasResults).toBe(false);
  });

  it('answers an empty list with 0:0:0 / 0:0:1 and no results', async () => {
    const empty = await page([], undefined, 10);
    expect(empty.results).toEqual([]);
    expect(formatCursor(empty.next)).toBe('0:0:0');
    expect(formatCursor(empty.prev)).toBe('0:0:1');
    expect(empty.next.hasResults).toBe(false);
    expect(empty.prev.hasResults).toBe(false);
  });

  it('pages forward through every row exactly once, then back again', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => i + 1);
    const seen: number[] = [];
    let cursor: Cursor | undefined;
    const pages: Cursor[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await page(ids, cursor, 5);
      seen.push(...result.results.map((r) => r.id));
      pages.push(result.prev);
      if (!result.next.hasResults) break;
      cursor = result.next;
    }
    expect(seen).toEqual([...ids].reverse());

    // From the last page, the prev cursor leads to the page before it.
    const last = await page(ids, cursor, 5);
    const back = await page(ids, last.prev, 5);
    expect(back.results.map((r) => r.id)).toEqual([8, 7, 6, 5, 4]);
    expect(back.prev.hasResults).toBe(true);
  });

  it('keeps deep pages cheap: a cursor bounds by id instead of growing the offset', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    const { fetch, requests } = fetcher(ids);
    let cursor: Cursor | undefined;
    for (let i = 0; i < 50; i++) {
      const result = await paginate({ cursor, limit: 10, descending: true, key: (r: { id: number }) => r.id, fetch });
      cursor = result.next;
    }
    expect(Math.max(...requests.map((r) => r.offset))).toBe(0);
    expect(requests.at(-1)!.bound).toBe(1000 - 490);
  });
});

describe('paging parameters', () => {
  it('defaults and bounds per_page with Sentry messages', () => {
    expect(readPageParams({}, 10).perPage).toBe(10);
    expect(readPageParams({ per_page: '100' }, 10).perPage).toBe(100);
    expect(() => readPageParams({ per_page: '101' }, 10)).toThrow('Invalid per_page value. Must be between 1 and 100.');
    expect(() => readPageParams({ per_page: '0' }, 10)).toThrow('Invalid per_page value. Must be between 1 and 100.');
    expect(() => readPageParams({ per_page: 'ten' }, 10)).toThrow('Invalid per_page parameter.');
    expect(() => readPageParams({ per_page: '' }, 10)).toThrow('Invalid per_page parameter.');
    expect(() => readPageParams({ cursor: 'nope' }, 10)).toThrow('Invalid cursor parameter.');
    expect(readPageParams({ cursor: '' }, 10).cursor).toBeUndefined();
  });

  it('builds the Link header exactly as Sentry', () => {
    const header = linkHeader(
      'http://testserver/api/0/projects/o/p/keys/',
      '',
      { value: 7, offset: 0, isPrev: true, hasResults: false },
      { value: 5, offset: 1, isPrev: false, hasResults: false },
    );
    expect(header).toBe(
      '<http://testserver/api/0/projects/o/p/keys/?&cursor=7:0:1>; rel="previous"; results="false"; cursor="7:0:1", ' +
        '<http://testserver/api/0/projects/o/p/keys/?&cursor=5:1:0>; rel="next"; results="false"; cursor="5:1:0"',
    );
  });

  it('keeps the other query parameters, drops cursor, encodes like Django', () => {
    expect(queryWithoutCursor('per_page=2&cursor=5:0:0&status=active')).toBe('per_page=2&status=active');
    expect(queryWithoutCursor('q=a b&x=1:2')).toBe('q=a+b&x=1%3A2');
  });
});

describe("Sentry's OffsetPaginator (page number and page size in the cursor)", () => {
  const rows = ['a', 'b', 'c', 'd', 'e'];
  const offsetPage = (cursor: Cursor | undefined, limit: number) =>
    offsetPaginate({ cursor, limit, fetch: async ({ offset, limit: n }) => rows.slice(offset, offset + n) });

  it('pages by number: "25:1:0" is the second page of 25', async () => {
    const first = await offsetPage(undefined, 2);
    expect(first.results).toEqual(['a', 'b']);
    expect(formatCursor(first.next)).toBe('2:1:0');
    expect(first.next.hasResults).toBe(true);
    expect(formatCursor(first.prev)).toBe('2:-1:1');
    expect(first.prev.hasResults).toBe(false);

    const last = await offsetPage(parseCursor('2:2:0'), 2);
    expect(last.results).toEqual(['e']);
    expect(last.next.hasResults).toBe(false);
    expect(formatCursor(last.prev)).toBe('2:1:1');
    expect(last.prev.hasResults).toBe(true);
  });

  it('keeps the rows ending where a cursor of another page size ends', async () => {
    // Page 1 of size 3 is c..e; asked with per_page 2, Sentry keeps the last 3 rows it read.
    const result = await offsetPage(parseCursor('3:1:0'), 2);
    expect(result.results).toEqual(['d', 'e']);
    expect(formatCursor(result.next)).toBe('2:2:0');
  });
});
