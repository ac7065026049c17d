/**
 * The per-process cache of credentials, organizations and memberships (services/access-cache.ts):
 * what it keeps, for how long, and what makes it let go. Across instances: postgres/multi-instance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryChangeBus } from '../src/changes/bus.ts';
import { AccessCache } from '../src/services/access-cache.ts';

function counting<T>(value: T) {
  const loader = { calls: 0, load: async () => (loader.calls++, value) };
  return loader;
}

describe('AccessCache', () => {
  it('answers from the cache within its maximum age, and loads again after it', async () => {
    let now = 1_000;
    const cache = new AccessCache(1000, 100, () => now);
    const row = counting({ id: 1 });
    expect(await cache.get('k', row.load)).toEqual({ id: 1 });
    now += 999;
    await cache.get('k', row.load);
    expect(row.calls).toBe(1);
    now += 1;
    await cache.get('k', row.load);
    expect(row.calls).toBe(2);
  });

  it('shares one load among concurrent callers', async () => {
    const cache = new AccessCache();
    const row = counting('x');
    await Promise.all([cache.get('k', row.load), cache.get('k', row.load), cache.get('k', row.load)]);
    expect(row.calls).toBe(1);
  });

  it('keeps nothing that was not found, and nothing that failed', async () => {
    const cache = new AccessCache();
    const missing = counting(undefined);
    await cache.get('k', missing.load);
    await cache.get('k', missing.load);
    expect(missing.calls).toBe(2);
    await expect(cache.get('e', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('e', async () => 'up')).toBe('up');
  });

  it('serves nothing loaded before a clear after it, not even a load still under way', async () => {
    const cache = new AccessCache();
    let finish!: (value: string) => void;
    const slow = cache.get('k', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.clear();
    finish('before the change');
    expect(await slow).toBe('before the change');
    expect(await cache.get('k', async () => 'after the change')).toBe('after the change');
  });

  it('holds at most its bound of entries', async () => {
    const cache = new AccessCache(60_000, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.get(key, async () => key);
    expect(cache.size).toBeLessThanOrEqual(3);
  });

  it('clears on an access, project or resync change, not on a key change', async () => {
    const bus = new InMemoryChangeBus();
    const cache = new AccessCache();
    cache.follow(bus);
    const fill = () => cache.get('k', async () => 'v');
    await fill();
    await bus.publish({ type: 'keys', publicKeys: ['abc'] });
    expect(cache.size).toBe(1);
    for (const event of [{ type: 'access' }, { type: 'project', projectId: 1 }, { type: 'resync' }] as const) {
      await fill();
      await bus.publish(event);
      expect(cache.size).toBe(0);
    }
  });
});
