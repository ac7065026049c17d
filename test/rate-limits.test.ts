/**
 * Per-key rate limits over real HTTP with a pinned clock: Relay's 429 and headers, refused
 * requests spending nothing, and the exact count under 50 concurrent senders with counters in
 * memory and in the database (two instances on one database). The Redis limiter's are in test/redis/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, RateLimiterKind } from '../src/config.ts';
import { currentWindow, keyQuota } from '../src/ingest/rate-limit/limiter.ts';
import type { OrganizationRow, ProjectKeyRow } from '../src/storage/schema.ts';
import { ingestConfig, Seed, startHarness, startOrg, type Harness } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, flood, send, sessionEnvelope } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

// Pinned, but near the real time: Redis expires counters by the real clock.
let now = Date.now();
const clock = () => now;

function withLimiter(rateLimiter: RateLimiterKind): Partial<Config> {
  return { ingest: ingestConfig({ rateLimiter, statsFlushSeconds: 60 }) };
}

function expectedRetryAfter(key: ProjectKeyRow, org: OrganizationRow): number {
  const quota = keyQuota({ id: key.id, organizationId: org.id, rateLimit: { count: key.rate_limit_count!, window: key.rate_limit_window! } });
  return Math.ceil(currentWindow(quota, now).end - now / 1000);
}

describe("a key's rate limit", () => {
  const t = suiteFixture(async (onCleanup) => {
    const { seed, ...started } = await startOrg(withLimiter('memory'), { now: clock });
    const { h, org } = started;
    onCleanup(() => h.close());
    const project = await seed.project(org, 'web');
    const other = await seed.project(org, 'api');
    return { h, org, project, other };
  });

  it("admits `count` events per window, then answers 429 with Relay's headers", async () => {
    const key = await createKey(t.h, t.project, { count: 3, window: 60 });
    for (let i = 0; i < 3; i += 1) expect((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status).toBe(200);
    const limited = await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() });
    const retry = expectedRetryAfter(key, t.org);
    expect(retry).toBeGreaterThan(0);
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({
      detail:
        'Sentry dropped data due to a quota or internal rate limit being reached. This will not affect your application. See https://docs.sentry.io/product/accounts/quotas/ for more information.',
    });
    expect(limited.headers.get('retry-after')).toBe(String(retry));
    expect(limited.headers.get('x-sentry-rate-limits')).toBe(`${retry}:default;error;security:key:key_quota`);

    // The key quota covers error categories only: sessions still pass.
    expect((await send(t.h, envelopePath(t.project, key), { body: sessionEnvelope() })).status).toBe(200);
    // The legacy store endpoint counts against the same quota.
    expect((await send(t.h, `/api/${t.project.id}/store/?sentry_key=${key.public_key}`, { body: '{}' })).status).toBe(429);

    now += retry * 1000;
    expect((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status).toBe(200);
  });

  it('spends no quota on refused requests', async () => {
    const key = await createKey(t.h, t.project, { count: 2, window: 3600 });
    const refusals = [
      send(t.h, envelopePath(t.other, key), { body: eventEnvelope() }),
      send(t.h, envelopePath(t.project, key), { body: 'not an envelope\n' }),
      send(t.h, `/api/${t.project.id}/envelope/?sentry_key=${key.public_key}&sentry_version=8`, { body: eventEnvelope() }),
      send(t.h, `${envelopePath(t.project, key)}`, { headers: { 'x-sentry-auth': `Sentry sentry_key=${key.public_key}` }, body: eventEnvelope() }),
    ];
    expect((await Promise.all(refusals)).map((r) => r.status)).toEqual([403, 400, 400, 401]);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('follows a changed limit at once', async () => {
    const key = await createKey(t.h, t.project, { count: 1, window: 3600 });
    expect((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status).toBe(200);
    expect((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status).toBe(429);
    await t.h.services.keys.update(t.project, key, { rateLimit: null }, { userId: null, keyId: null, label: 'test', ipAddress: null });
    expect((await send(t.h, envelopePath(t.project, key), { body: eventEnvelope() })).status).toBe(200);
  });
});

describe.each([
  { limiter: 'memory' as const, instances: 1 },
  { limiter: 'database' as const, instances: 2 },
])('exactly `count` under 50 concurrent senders: $limiter limiter, $instances instance(s)', ({ limiter, instances: count }) => {
  const instances: Harness[] = [];

  beforeAll(async () => {
    const first = await startHarness(withLimiter(limiter), { now: clock });
    instances.push(first);
    for (let i = 1; i < count; i += 1) instances.push(await startHarness(withLimiter(limiter), { now: clock, shared: first.database }));
  });
  afterAll(async () => {
    for (const h of instances.reverse()) await h.close();
  });

  it('admits exactly 25 of 200 events, then refuses every one', async () => {
    const h = instances[0] as Harness;
    const seed = new Seed(h.services);
    const org = await seed.org(`flood-${limiter}`);
    const project = await seed.project(org, 'web');
    const key = await createKey(h, project, { count: 25, window: 3600 });

    const statuses = await flood(instances, project, key, 50, 4);
    expect(statuses).toHaveLength(200);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(175);

    if (limiter === 'database') {
      const rows = await h.db.kysely.selectFrom('rate_limit_counters').selectAll().execute();
      expect(rows.map((r) => Number(r.used))).toEqual([25]);
    }
  });
});
