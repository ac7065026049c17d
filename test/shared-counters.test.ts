/**
 * The rows every instance writes to (src/storage/counters.ts): counts are added to, never
 * overwritten, and a latest time only ever moves forward, whichever instance writes first. On the
 * real database of the run (SQLite, or PostgreSQL in the postgres project).
 */
import { describe, expect, it } from 'vitest';
import { startAcme } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const acme = await startAcme();
  onCleanup(() => acme.h.close());
  return { ...acme, key: await acme.seed.defaultKey(acme.project) };
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 12, minute)).toISOString();

describe('counters', () => {
  it('sum what each writer adds', async () => {
    const { keyHealth, keyStats } = t.h.db.stores;
    await keyHealth.addRefusals([{ keyId: t.key.id, ts: 3600, reason: 'disabled', count: 2 }]);
    await keyHealth.addRefusals([{ keyId: t.key.id, ts: 3600, reason: 'disabled', count: 5 }]);
    expect(await keyHealth.refusals(t.key.id, 0)).toEqual([{ reason: 'disabled', count: 7 }]);
    await keyStats.add([{ keyId: t.key.id, rollup: 10, ts: 60, accepted: 1, dropped: 2, filtered: 3 }]);
    await keyStats.add([{ keyId: t.key.id, rollup: 10, ts: 60, accepted: 10, dropped: 20, filtered: 30 }]);
    expect(await keyStats.buckets(t.key.id, 10, 0, 120)).toMatchObject([{ ts: 60, accepted: 11, dropped: 22, filtered: 33 }]);
  });
});

describe('latest times', () => {
  it('keep the later of the stored and the offered, and a null offered changes nothing', async () => {
    const { keyHealth } = t.h.db.stores;
    const activity = async () => {
      const row = await keyHealth.activity(t.key.id);
      return { accepted: row?.last_accepted_at, refused: row?.last_refused_at };
    };
    await keyHealth.touch([{ keyId: t.key.id, lastAcceptedAt: at(30), lastRefusedAt: null }]);
    expect(await activity()).toEqual({ accepted: at(30), refused: null });
    // An instance that flushes late offers an older time: it loses.
    await keyHealth.touch([{ keyId: t.key.id, lastAcceptedAt: at(10), lastRefusedAt: at(5) }]);
    expect(await activity()).toEqual({ accepted: at(30), refused: at(5) });
    await keyHealth.touch([{ keyId: t.key.id, lastAcceptedAt: at(40), lastRefusedAt: null }]);
    expect(await activity()).toEqual({ accepted: at(40), refused: at(5) });
  });
});
