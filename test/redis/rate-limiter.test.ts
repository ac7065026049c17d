/**
 * The Redis rate limiter against a real redis-server (`npm run test:redis`; Debian's
 * `redis-server` package): exact under 50 concurrent senders over two instances sharing the
 * counters, and an unreachable Redis admits events instead of hanging.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { ingestConfig, Seed, startHarness, type Harness } from '../helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, flood, send } from '../helpers/ingest.ts';
import { startRedis } from '../helpers/redis.ts';
import { suiteFixture } from '../helpers/fixture.ts';

// Pinned, but near the real time: Redis expires counters by the real clock.
const now = Date.now();
const clock = () => now;

function redisConfig(redisUrl: string): Partial<Config> {
  return { ingest: ingestConfig({ rateLimiter: 'redis', redisUrl, statsFlushSeconds: 60 }) };
}

describe('exactly `count` under 50 concurrent senders: two instances sharing one Redis', () => {
  const instances: Harness[] = [];

  suiteFixture(async (onCleanup) => {
    const redis = await startRedis();
    onCleanup(async () => {
      for (const h of instances.reverse()) await h.close();
      await redis.stop();
    });
    const first = await startHarness(redisConfig(redis.url), { now: clock });
    instances.push(first, await startHarness(redisConfig(redis.url), { now: clock, shared: first.database }));
    return redis;
  });

  it('admits exactly 25 of 200 events, then refuses every one', async () => {
    const h = instances[0] as Harness;
    const seed = new Seed(h.services);
    const project = await seed.project(await seed.org('flood-redis'), 'web');
    const key = await createKey(h, project, { count: 25, window: 3600 });

    const statuses = await flood(instances, project, key, 50, 4);
    expect(statuses).toHaveLength(200);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(175);
  });
});

describe('a key quota per data category, two instances sharing one Redis', () => {
  it('admits exactly `count` transactions of 200 sent by 50 concurrent senders, and gives back what a later quota refused', async () => {
    const redis = await startRedis();
    const first = await startHarness(redisConfig(redis.url), { now: clock });
    const second = await startHarness(redisConfig(redis.url), { now: clock, shared: first.database });
    try {
      const seed = new Seed(first.services);
      const project = await seed.project(await seed.org('quota-redis'), 'web');
      const created = await first.services.keys.create(
        project,
        { useCase: 'user', policy: { quotas: [{ categories: ['transaction'], count: 25, window: 3600 }, { categories: ['error', 'session'], count: 3, window: 3600 }] } },
        { userId: null, keyId: null, label: 'test', ipAddress: null },
      );
      if (!created.ok) throw new Error('not created');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const transaction = `{"event_id":"${'a'.repeat(32)}"}\n{"type":"transaction"}\n{"type":"transaction"}\n`;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, async (_, sender) => {
          for (let i = 0; i < 4; i++) statuses.push((await send(sender % 2 ? second : first, envelopePath(project, created.key), { body: transaction })).status);
        }),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(25);
      expect(statuses.filter((s) => s === 429)).toHaveLength(175);
      // Errors have a counter of their own: three fit.
      const errors = [];
      for (let i = 0; i < 4; i++) errors.push((await send(first, envelopePath(project, created.key), { body: eventEnvelope() })).status);
      expect(errors).toEqual([200, 200, 200, 429]);
    } finally {
      await second.close();
      await first.close();
      await redis.stop();
    }
  });
});

describe('shared counters out of reach', () => {
  it('admits the event, says so in the metrics, and does not hang', async () => {
    const redis = await startRedis();
    const url = redis.url;
    await redis.stop();
    const h = await startHarness(redisConfig(url), { now: clock });
    try {
      const seed = new Seed(h.services);
      const project = await seed.project(await seed.org('acme'), 'web');
      const key = await createKey(h, project, { count: 1, window: 60 });
      const res = await send(h, envelopePath(project, key), { body: eventEnvelope() });
      expect(res.status).toBe(200);
      const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^clientkeys_rate_limiter_errors_total [1-9]/m);
    } finally {
      await h.close();
    }
  });
});
