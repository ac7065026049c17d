/**
 * The real @sentry/node SDK (the version pinned in package.json) against the server on loopback:
 * its events are accepted and counted, a disabled key's are refused, and a rate-limited key gets
 * Relay's 429 headers, after which the SDK stops sending until the window ends.
 */
import * as Sentry from '@sentry/node';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectKeyRow } from '../src/storage/schema.ts';
import { request, startAcme } from './helpers/harness.ts';
import { createKey, setActive } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, project, owner } = await startAcme();
  onCleanup(() => h.close());
  return { h, project, owner };
});
afterEach(async () => {
  await Sentry.close(2000);
});

/** The SDK configured with a key's DSN as a user would, recording the status of each send. */
function initSdk(key: ProjectKeyRow): number[] {
  const port = new URL(t.h.baseUrl).port;
  const statuses: number[] = [];
  Sentry.init({ dsn: `http://${key.public_key}@127.0.0.1:${port}/${t.project.id}`, release: 'eco@1.0.0', environment: 'test' });
  Sentry.getClient()!.on('afterSendEvent', (_event, response) => {
    statuses.push(response.statusCode ?? 0);
  });
  return statuses;
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${t.h.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function stats(key: ProjectKeyRow) {
  const res = await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${key.public_key}/stats/?resolution=1h`, { token: t.owner });
  expect(res.status).toBe(200);
  return (res.body as { accepted: number; dropped: number }[]).reduce(
    (sum, p) => ({ accepted: sum.accepted + p.accepted, dropped: sum.dropped + p.dropped }),
    { accepted: 0, dropped: 0 },
  );
}

describe('@sentry/node against clientkeys', () => {
  it("accepts the SDK's events and counts them", async () => {
    const key = await createKey(t.h, t.project);
    const statuses = initSdk(key);
    Sentry.captureMessage('hello from the SDK');
    Sentry.captureException(new TypeError('something broke'));
    expect(await Sentry.flush(5000)).toBe(true);
    expect(statuses).toEqual([200, 200]);

    await t.h.services.ingest.flush();
    expect(await stats(key)).toEqual({ accepted: 2, dropped: 0 });
    const recent = await request(t.h, 'GET', '/api/0/projects/acme/web/events/recent/', { token: t.owner });
    const titles = (recent.body as { title: string | null; sdk: string | null; publicKey: string }[])
      .filter((e) => e.publicKey === key.public_key)
      .map((e) => e.title);
    expect(titles).toContain('hello from the SDK');
    expect(titles).toContain('TypeError: something broke');
  });

  it("refuses a disabled key's events", async () => {
    const key = await createKey(t.h, t.project);
    await setActive(t.h, t.project, key, false);
    const before = await metric('clientkeys_ingest_requests_total', { reason: 'disabled_key' });
    const statuses = initSdk(key);
    Sentry.captureMessage('from a disabled key');
    expect(await Sentry.flush(5000)).toBe(true);
    expect(statuses).toEqual([403]);
    expect(await metric('clientkeys_ingest_requests_total', { reason: 'disabled_key' })).toBeGreaterThan(before);
    await t.h.services.ingest.flush();
    expect(await stats(key)).toEqual({ accepted: 0, dropped: 0 });
  });

  it('backs off after a 429 with X-Sentry-Rate-Limits', async () => {
    const key = await createKey(t.h, t.project, { count: 1, window: 3600 });
    const statuses = initSdk(key);
    Sentry.captureMessage('first');
    expect(await Sentry.flush(5000)).toBe(true);
    Sentry.captureMessage('second: rate limited');
    expect(await Sentry.flush(5000)).toBe(true);
    Sentry.captureMessage('third: never sent');
    Sentry.captureMessage('fourth: never sent');
    expect(await Sentry.flush(5000)).toBe(true);

    // Only two requests reached the server: the SDK held the others back itself.
    expect(statuses.slice(0, 2)).toEqual([200, 429]);
    expect(statuses.slice(2).every((s) => s === 0)).toBe(true);
    expect(await metric('clientkeys_ingest_events_total', { project_id: String(t.project.id), outcome: 'dropped' })).toBe(1);
    await t.h.services.ingest.flush();
    expect(await stats(key)).toEqual({ accepted: 1, dropped: 1 });
  });
});
