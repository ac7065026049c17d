/**
 * `GET /api/0/projects/{org}/{project}/keys/{key_id}/stats/` as Sentry answers it: intervals of the
 * requested resolution, accepted and rate-limited events per interval, exact before and after the
 * counters are written, and one 400 message for every bad parameter.
 */
import { describe, expect, it } from 'vitest';
import { statsRange } from '../src/services/key-stats.ts';
import { request, Seed, startOrg } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, send, sessionEnvelope } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

// 2026-11-23 10:20:35 UTC: mid-hour, mid-day.
const NOW = Date.UTC(2026, 10, 23, 10, 20, 35);
let now = NOW;
const DAY = 86_400;
const HOUR_START = Date.UTC(2026, 10, 23, 10) / 1000;

const t = suiteFixture(async (onCleanup) => {
  const { seed, ...started } = await startOrg({}, { now: () => now });
  const { h, org } = started;
  onCleanup(() => h.close());
  const project = await seed.project(org, 'web');
  const key = await createKey(h, project, { count: 3, window: DAY });
  const owner = await seed.caller(org, 'owner@acme.example');
  // Four events and a session: three accepted, one dropped by the limit; the session counts for neither.
  for (let i = 0; i < 4; i += 1) await send(h, envelopePath(project, key), { body: eventEnvelope() });
  await send(h, envelopePath(project, key), { body: sessionEnvelope() });
  return { h, org, project, key, owner };
});

const statsPath = (query = '') => `/api/0/projects/acme/web/keys/${t.key.public_key}/stats/${query}`;

describe('key stats', () => {
  it('answers one day-long interval per day of the last 24 hours by default, exact before the counts are written', async () => {
    const res = await request(t.h, 'GET', statsPath(), { token: t.owner });
    expect(res.status).toBe(200);
    const today = Date.UTC(2026, 10, 23) / 1000;
    expect(res.body).toEqual([
      { ts: today - DAY, total: 0, dropped: 0, accepted: 0, filtered: 0 },
      { ts: today, total: 4, dropped: 1, accepted: 3, filtered: 0 },
    ]);
    await t.h.services.ingest.flush();
    const after = await request(t.h, 'GET', statsPath(), { token: t.owner });
    expect(after.body).toEqual(res.body);
  });

  it('answers hourly intervals', async () => {
    const hourly = await request(t.h, 'GET', statsPath(`?resolution=1h&since=${HOUR_START - 7200}&until=${NOW / 1000}`), { token: t.owner });
    expect(hourly.status).toBe(200);
    expect(hourly.body).toEqual([
      { ts: HOUR_START - 7200, total: 0, dropped: 0, accepted: 0, filtered: 0 },
      { ts: HOUR_START - 3600, total: 0, dropped: 0, accepted: 0, filtered: 0 },
      { ts: HOUR_START, total: 4, dropped: 1, accepted: 3, filtered: 0 },
    ]);
  });

  it('answers resolution=10s 400 even over a short range, as Sentry (a rollup, but not whole minutes)', async () => {
    const tenSeconds = await request(t.h, 'GET', statsPath(`?resolution=10s&since=${NOW / 1000 - 25}&until=${NOW / 1000}`), { token: t.owner });
    expect(tenSeconds.status).toBe(400);
    expect(tenSeconds.body).toEqual({ detail: 'Invalid request data' });
  });

  it('adds counts written by several flushes and unwritten ones', async () => {
    now += 3600 * 1000;
    await send(t.h, envelopePath(t.project, t.key), { body: eventEnvelope() }); // dropped: the day's window is spent
    await t.h.services.ingest.flush();
    now += 1000;
    await send(t.h, envelopePath(t.project, t.key), { body: eventEnvelope() });
    const res = await request(t.h, 'GET', statsPath(`?resolution=1h&since=${HOUR_START}&until=${HOUR_START + 3601}`), { token: t.owner });
    expect(res.body).toEqual([
      { ts: HOUR_START, total: 4, dropped: 1, accepted: 3, filtered: 0 },
      { ts: HOUR_START + 3600, total: 2, dropped: 2, accepted: 0, filtered: 0 },
    ]);
  });

  it("answers every bad parameter with Sentry's one message", async () => {
    for (const query of [
      '?resolution=2h',
      '?resolution=1m',
      '?resolution=abc',
      '?until=soon',
      '?since=yesterday',
      `?since=${NOW / 1000}&until=${NOW / 1000 - 10}`,
      '?resolution=10s',
    ]) {
      const res = await request(t.h, 'GET', statsPath(query), { token: t.owner });
      expect({ query, status: res.status, body: res.body }).toEqual({ query, status: 400, body: { detail: 'Invalid request data' } });
    }
  });

  it('answers 404 for a key of another project or none', async () => {
    const seed = new Seed(t.h.services);
    const other = await seed.project(t.org, 'other');
    const otherKey = await seed.defaultKey(other);
    for (const id of [otherKey.public_key, 'f'.repeat(32)]) {
      const res = await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${id}/stats/`, { token: t.owner });
      expect(res.status).toBe(404);
    }
  });
});

describe('stats intervals', () => {
  it('aligns the range to whole intervals and takes float timestamps', () => {
    const range = statsRange({ since: '1000.5', until: '7300', resolution: '1h' }, 10_000);
    expect(range).toEqual({ ok: true, value: { start: 0, end: 10_800, interval: 3600 } });
    expect(statsRange({ resolution: '60m', since: '0', until: '3600' }, 10_000)).toEqual({ ok: true, value: { start: 0, end: 3600, interval: 3600 } });
    expect(statsRange({ resolution: '1d', since: '1e3', until: '2e3' }, 10_000)).toEqual({ ok: true, value: { start: 0, end: 86_400, interval: 86_400 } });
  });
});
