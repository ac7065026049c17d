/**
 * The Redis rate limiter against a real redis-server (`npm run test:redis`; Debian's
 * `redis-server` package): exact under 50 concurrent senders over two instances sharing the
 * counters, and an unreachable Redis admits events instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { ingestConfig, Seed, startHarness, type Harness } from '../helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, flood, send } from '../helpers/ingest.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

// Pinned, but near the real time: Redis expires counters by the real clock.
const now = Date.now();
const clock = () => now;

function redisConfig(redisUrl: string): Partial<Config> {
  return { ingest: ingestConfig({ rateLimiter: 'redis', redisUrl, statsFlushSeconds: 60 }) };
}

describe('exactly `count` under 50 concurrent senders: two instances sharing one Redis', () => {
  let redis: RedisServer;
  const instances: Harness[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const first = await startHarness(redisConfig(redis.url), { now: clock });
    instances.push(first, await startHarness(redisConfig(redis.url), { now: clock, shared: first.database }));
  });
  afterAll(async () => {
    for (const h of instances.reverse()) await h.close();
    await redis?.stop();
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
