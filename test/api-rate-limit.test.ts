/**
 * Management rate limits as Sentry's middleware: per caller and endpoint, API_RATE_LIMIT a second
 * on the key endpoints, headers on every answer (go-sentry backs off on them), Sentry's 429.
 */
import { describe, expect, it } from 'vitest';
import { request, Seed, startHarness, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const keys = '/api/0/projects/acme/web/keys/';

/** Start a burst just after a second begins, so that it fits in one window. */
async function atWindowStart(): Promise<void> {
  const wait = 1000 - (Date.now() % 1000) + 20;
  await new Promise((r) => setTimeout(r, wait));
}

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg({ apiRateLimit: 5 });
  onCleanup(() => h.close());
  const project = await seed.project(org, 'web');
  const keyPath = `${keys}${(await seed.defaultKey(project)).public_key}/`;
  const owner = await seed.caller(org, 'owner@acme.example');
  const other = await seed.caller(org, 'other@acme.example');
  return { h, owner, other, keyPath };
});

describe('management rate limits', () => {
  it('admits API_RATE_LIMIT requests a second to a key endpoint, then answers 429 as Sentry', async () => {
    await atWindowStart();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await request(t.h, 'GET', keys, { token: t.owner }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers.slice(0, 5).map((a) => a.headers.get('x-sentry-rate-limit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    const limited = answers[5]!;
    expect(limited.text).toBe('"You are attempting to use this endpoint too frequently. Limit is 5 requests in 1 seconds"');
    expect(limited.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(limited.headers.get('allow')).toBe('GET');
    expect(limited.headers.get('access-control-allow-methods')).toBe('GET');
    expect(limited.headers.get('x-sentry-rate-limit-remaining')).toBe('0');
    expect(limited.headers.get('x-sentry-rate-limit-limit')).toBe('5');
    const reset = Number(limited.headers.get('x-sentry-rate-limit-reset'));
    expect(reset - Date.now() / 1000).toBeGreaterThan(0);
    expect(reset - Date.now() / 1000).toBeLessThanOrEqual(1);
    expect(limited.headers.get('x-sentry-rate-limit-concurrentlimit')).toBe('999');
    const names = [...limited.headers.keys()].filter((k) => k.startsWith('x-sentry-rate-limit'));
    expect(names).toEqual(
      expect.arrayContaining(['x-sentry-rate-limit-remaining', 'x-sentry-rate-limit-limit', 'x-sentry-rate-limit-reset', 'x-sentry-rate-limit-concurrentremaining', 'x-sentry-rate-limit-concurrentlimit']),
    );
  });

  it("counts each caller and each endpoint apart; endpoints without limits of their own have Sentry's default group, 999", async () => {
    await atWindowStart();
    for (let i = 0; i < 5; i++) await request(t.h, 'GET', keys, { token: t.owner });
    expect((await request(t.h, 'GET', keys, { token: t.owner })).status).toBe(429);
    expect((await request(t.h, 'GET', keys, { token: t.other })).status).toBe(200);
    const detail = await request(t.h, 'GET', t.keyPath, { token: t.owner });
    expect(detail.status).toBe(200);
    expect(detail.headers.get('x-sentry-rate-limit-limit')).toBe('999');
    expect(detail.headers.get('x-sentry-rate-limit-concurrentlimit')).toBe('999');
    // The stats endpoint declares 20/s; API_RATE_LIMIT (5 here) stays the ceiling of the key endpoints.
    expect((await request(t.h, 'GET', `${t.keyPath}stats/`, { token: t.owner })).headers.get('x-sentry-rate-limit-limit')).toBe('5');
    expect((await request(t.h, 'POST', keys, { token: t.owner, body: {} })).headers.get('x-sentry-rate-limit-limit')).toBe('5');
  });

  it('admits again in the next window', async () => {
    await atWindowStart();
    for (let i = 0; i < 6; i++) await request(t.h, 'GET', keys, { token: t.owner });
    await atWindowStart();
    expect((await request(t.h, 'GET', keys, { token: t.owner })).status).toBe(200);
  });

  it('limits anonymous callers by IP too, before telling them to authenticate', async () => {
    await atWindowStart();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(t.h, 'GET', keys)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe("the endpoints' own limits at the default API_RATE_LIMIT", () => {
  it('key stats: 20 a second (ProjectKeyStatsEndpoint.rate_limits); the keys list 40; others 999', async () => {
    // One pinned instant: every request falls in the same one-second window.
    const pinned = Date.UTC(2026, 11, 1, 12, 0, 0, 100);
    const limits = await startHarness({ apiRateLimit: 40 }, { now: () => pinned });
    try {
      const seed = new Seed(limits.services);
      const org = await seed.org('acme');
      const project = await seed.project(org, 'web');
      const token = await seed.caller(org, 'o@acme.example');
      const stats = `${keys}${(await seed.defaultKey(project)).public_key}/stats/`;
      const statuses = [];
      for (let i = 0; i < 21; i++) statuses.push((await request(limits, 'GET', stats, { token })).status);
      expect(statuses).toEqual([...Array(20).fill(200), 429]);
      const limited = await request(limits, 'GET', stats, { token });
      expect(limited.text).toBe('"You are attempting to use this endpoint too frequently. Limit is 20 requests in 1 seconds"');
      expect((await request(limits, 'GET', keys, { token })).headers.get('x-sentry-rate-limit-limit')).toBe('40');
      expect((await request(limits, 'GET', '/api/0/organizations/acme/project-keys/', { token })).headers.get('x-sentry-rate-limit-limit')).toBe('40');
      expect((await request(limits, 'GET', '/api/0/organizations/acme/', { token })).headers.get('x-sentry-rate-limit-limit')).toBe('999');
    } finally {
      await limits.close();
    }
  });
});

describe('API_RATE_LIMIT=0', () => {
  it('turns every limit and its headers off', async () => {
    const off = await startHarness({ apiRateLimit: 0 });
    try {
      const seed = new Seed(off.services);
      const org = await seed.org('acme');
      await seed.project(org, 'web');
      const token = await seed.caller(org, 'o@acme.example');
      const answers = await Promise.all(Array.from({ length: 60 }, () => request(off, 'GET', keys, { token })));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers[0]!.headers.get('x-sentry-rate-limit-limit')).toBeNull();
    } finally {
      await off.close();
    }
  });
});
