/**
 * The ingest key map: every key from memory after start, changes applied at once, unknown keys
 * remembered briefly (and forgotten at once when a key appears), garbage costing no query.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryChangeBus } from '../src/changes/bus.ts';
import { keyIsLive } from '../src/domain/keys.ts';
import { KeyCache, type IngestKey } from '../src/ingest/key-cache.ts';
import type { IngestKeyPage, IngestKeyRow } from '../src/storage/stores/project-keys.ts';

/** The key as the gate judges it: present, and live now. */
const live = (key: IngestKey | undefined) => key !== undefined && keyIsLive(key, Date.now());

const row = (publicKey: string, overrides: Partial<IngestKeyRow> = {}): IngestKeyRow => ({
  id: 1,
  public_key: publicKey,
  project_id: 7,
  organization_id: 3,
  status: 0,
  roles: 1,
  project_status: 0,
  rate_limit_count: null,
  rate_limit_window: null,
  data: '{}',
  expires_at: null,
  replaced_by: null,
  allowed_domains: null,
  upstream_dsn: null,
  policy: null,
  ...overrides,
});

/** What the store answers for a page: keys in order, after the page's last. */
function pageOf(rows: IngestKeyRow[], page: IngestKeyPage | undefined): IngestKeyRow[] {
  const sorted = rows.sort((a, b) => (a.public_key < b.public_key ? -1 : 1));
  return page ? sorted.filter((r) => r.public_key > page.after).slice(0, page.limit) : sorted;
}

function fixture() {
  const rows = new Map<string, IngestKeyRow>();
  const queries: (readonly string[] | undefined)[] = [];
  let now = 1_000_000;
  const bus = new InMemoryChangeBus();
  const cache = new KeyCache(
    async (keys, page) => {
      queries.push(keys);
      return keys ? keys.flatMap((k) => (rows.has(k) ? [rows.get(k)!] : [])) : pageOf([...rows.values()], page);
    },
    bus,
    { negativeTtlMs: 5000, negativeMaxEntries: 2, now: () => now },
  );
  return { rows, queries, bus, cache, advance: (ms: number) => (now += ms) };
}

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('the ingest key map', () => {
  it('warms a page of keys at a time, and ends with every key in memory', async () => {
    const rows = new Map<string, IngestKeyRow>();
    for (let i = 0; i < 12_345; i++) {
      const key = i.toString(16).padStart(32, '0');
      rows.set(key, row(key));
    }
    const pages: number[] = [];
    const cache = new KeyCache(async (keys, page) => {
      const answer = keys ? [] : pageOf([...rows.values()], page);
      pages.push(answer.length);
      return answer;
    }, new InMemoryChangeBus());
    await cache.warm();
    expect(pages).toEqual([5000, 5000, 2345]);
    for (const key of [...rows.keys()].filter((_, i) => i % 1000 === 0)) expect(cache.get(key)).not.toBeInstanceOf(Promise);
  });

  it('serves every key from memory after warming, synchronously', async () => {
    const f = fixture();
    f.rows.set(A, row(A, { rate_limit_count: 10, rate_limit_window: 60 }));
    await f.cache.warm();
    const key = f.cache.get(A);
    expect(key).not.toBeInstanceOf(Promise);
    expect(key).toMatchObject({ publicKey: A, projectId: 7, organizationId: 3, rateLimit: { count: 10, window: 60 } });
    expect(live(key as IngestKey)).toBe(true);
    expect(f.queries).toEqual([undefined]);
  });

  it('remembers an unknown key for a while, and forgets it at once when the key appears', async () => {
    const f = fixture();
    expect(await f.cache.get(B)).toBeUndefined();
    expect(f.cache.get(B)).toBeUndefined();
    expect(f.queries).toHaveLength(1);
    f.advance(5001);
    expect(await f.cache.get(B)).toBeUndefined();
    expect(f.queries).toHaveLength(2);

    f.rows.set(B, row(B));
    await f.bus.publish({ type: 'keys', publicKeys: [B] });
    const b = await f.cache.get(B);
    expect(b).toMatchObject({ publicKey: B });
    expect(live(b)).toBe(true);
  });

  it('refuses garbage without a query, and bounds what it remembers', async () => {
    const f = fixture();
    expect(f.cache.get('not-a-key')).toBeUndefined();
    expect(f.cache.get('A'.repeat(32))).toBeUndefined();
    expect(f.queries).toHaveLength(0);
    for (const k of ['1', '2', '3'].map((c) => c.repeat(32))) await f.cache.get(k);
    // The oldest of three unknown keys was let go: asking again costs a query.
    await f.cache.get('1'.repeat(32));
    expect(f.queries).toHaveLength(4);
  });

  it('drops a changed key at once and does not store a lookup that raced with a change', async () => {
    const f = fixture();
    f.rows.set(A, row(A));
    await f.cache.warm();
    f.rows.set(A, row(A, { status: 1 }));
    const pending = f.bus.publish({ type: 'keys', publicKeys: [A] });
    const next = f.cache.get(A);
    expect(next).toBeInstanceOf(Promise);
    expect(live(await next)).toBe(false);
    expect(await next).toMatchObject({ publicKey: A });
    await pending;
    expect(live(f.cache.get(A) as IngestKey)).toBe(false);
  });

  it('treats a key of a deleted project or without the store role as inactive', async () => {
    const f = fixture();
    f.rows.set(A, row(A, { project_status: 1 }));
    f.rows.set(B, row(B, { roles: 2 }));
    await f.cache.warm();
    expect(f.cache.get(A)).toMatchObject({ publicKey: A });
    expect(live(f.cache.get(A) as IngestKey)).toBe(false);
    expect(f.cache.get(B)).toMatchObject({ publicKey: B });
    expect(live(f.cache.get(B) as IngestKey)).toBe(false);
  });

  it('answers every key while the map is still loading, and a change during the load is not undone by it', async () => {
    const rows = new Map<string, IngestKeyRow>();
    const many = Array.from({ length: 12_000 }, (_, i) => i.toString(16).padStart(32, '0'));
    for (const key of many) rows.set(key, row(key));
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    const bus = new InMemoryChangeBus();
    const cache = new KeyCache(async (keys, page) => {
      if (keys) return keys.flatMap((k) => (rows.has(k) ? [rows.get(k)!] : []));
      await loaded;
      return pageOf([...rows.values()], page);
    }, bus);
    const warming = cache.warm();
    // Before the load lands, a key is looked up on its own and found: never refused for not being loaded.
    expect(live(await cache.get(many[11_999]!))).toBe(true);
    release();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    // The first slice is in; the load now waits for its next turn. A key of a later slice changes.
    expect(cache.get(many[0]!)).not.toBeInstanceOf(Promise);
    const changed = many[11_000]!;
    rows.set(changed, row(changed, { status: 1 }));
    await bus.publish({ type: 'keys', publicKeys: [changed] });
    await warming;
    // The load stopped at the change: it added nothing more, so nothing older than the change.
    expect(cache.get(many[10_500]!)).toBeInstanceOf(Promise);
    expect(live(await cache.get(changed))).toBe(false);
  });
});
