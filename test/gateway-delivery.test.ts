/**
 * Gateway delivery under trouble: a backend that is down (everything 200-answered arrives once it
 * is back, retried with backoff and never sooner than its Retry-After), a backend's 429s (dropped,
 * counted, and applied at the gate to those categories until they expire), a full queue (503,
 * never accepted and dropped), `kill -9` of the server with events queued (all arrive after the
 * restart), `/readyz` unaffected, and `@sentry/node` end to end into a second clientkeys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Sentry from '@sentry/node';
import { describe, expect, it } from 'vitest';
import { closeServices } from '../src/composition.ts';
import type { ProjectKeyRow, ProjectRow } from '../src/storage/schema.ts';
import { backendDsn, queueDrained, RecordingBackend } from './helpers/gateway.ts';
import { type Harness, ingestConfig, request, Seed, servicesWithDatabase, startAcme, startHarness, TEST_ACTOR, testConfig } from './helpers/harness.ts';
import { envelopePath, eventEnvelope, eventId, send } from './helpers/ingest.ts';
import { serve } from './helpers/serve.ts';
import { createTestDatabase } from './helpers/test-database.ts';
import { suiteFixture } from './helpers/fixture.ts';

const BACKEND_KEY = 'b'.repeat(32);

async function setup(overrides: Parameters<typeof ingestConfig>[0] = {}) {
  const { h, project, key, owner } = await startAcme({ ingest: ingestConfig(overrides) });
  return { h, project, key, owner };
}

const idOf = (body: Buffer) => JSON.parse(body.toString().split('\n')[0]!).event_id as string;

async function state(h: Harness, owner: string) {
  return (await request(h, 'GET', '/api/0/projects/acme/web/upstream/', { token: owner })).body as Record<string, any>;
}

async function until<T>(what: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`never: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a backend that is down, then back', () => {
  it('keeps every accepted event, retries with backoff honouring Retry-After, and delivers them all once it is back', async () => {
    const backend = new RecordingBackend();
    let failing = true;
    const attempts: number[] = [];
    const accepted: string[] = [];
    backend.answer = (request) => {
      attempts.push(Date.now());
      if (!failing) accepted.push(idOf(request.body));
      return failing ? { status: 503, headers: { 'retry-after': '1' }, body: '{"detail":"down for maintenance"}' } : { status: 200, body: '{}' };
    };
    const base = await backend.start();
    const { h, project, key, owner } = await setup();
    try {
      await h.services.upstreams.set(project, backendDsn(base, BACKEND_KEY, 7), TEST_ACTOR);
      const ids = Array.from({ length: 20 }, () => eventId());
      for (const id of ids) expect((await send(h, envelopePath(project, key), { body: eventEnvelope(id) })).status).toBe(200);
      const down = await until(() => state(h, owner), (s) => s.retrying >= 1 && s.lastError !== null);
      expect(down).toMatchObject({ queued: 20, delivered: 0, lastError: { status: 503, reason: 'down for maintenance' } });
      expect(down.oldestQueued).toMatch(/^\d{4}-/);
      // A failed backend is left alone until its backoff ends: not one attempt per queued event. The
      // first wave is what was already in flight when the first failure came back; nothing follows it
      // until Retry-After has passed. Judged on the backend's own clock, not on when the state shows.
      await until(async () => attempts.length, () => Date.now() - attempts[0]! > 1_500);
      failing = false;
      await queueDrained(h, 20_000);
      const firstWave = attempts.filter((t) => t - attempts[0]! < 500).length;
      expect(firstWave).toBeLessThan(20);
      expect(attempts.filter((t) => t - attempts[0]! >= 500 && t - attempts[0]! < 950)).toEqual([]);
      expect(attempts[firstWave]! - attempts[0]!).toBeGreaterThanOrEqual(950);
      expect(new Set(accepted)).toEqual(new Set(ids));
      // Counts are written every second.
      expect(await until(() => state(h, owner), (s) => s.delivered === 20)).toMatchObject({ queued: 0, retrying: 0, delivered: 20, refused: 0 });
      expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await h.close();
      await backend.stop();
    }
  });

  it('answers /readyz 200 while a backend is unreachable', async () => {
    const { h, project, key } = await setup();
    try {
      await h.services.upstreams.set(project, backendDsn('http://127.0.0.1:1', BACKEND_KEY, 7), TEST_ACTOR);
      expect((await send(h, envelopePath(project, key), { body: eventEnvelope() })).status).toBe(200);
      expect((await fetch(`${h.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe("a backend's rate limits", () => {
  const t = suiteFixture(async (onCleanup) => {
    const backend = new RecordingBackend();
    const base = await backend.start();
    onCleanup(() => backend.stop());
    const ctx = await setup();
    onCleanup(() => ctx.h.close());
    await ctx.h.services.upstreams.set(ctx.project, backendDsn(base, BACKEND_KEY, 7), TEST_ACTOR);
    return { backend, ctx };
  });

  const transaction = (id = eventId()) => `{"event_id":"${id}"}\n{"type":"transaction"}\n{"type":"transaction","event_id":"${id}"}\n`;
  const both = (id = eventId()) => `{"event_id":"${id}"}\n{"type":"event"}\n{"message":"e"}\n{"type":"transaction"}\n{"type":"transaction"}\n`;

  it('drops the refused event, counts it, and answers SDKs 429 for those categories at the gate, letting others through', async () => {
    t.backend.answer = () => ({ status: 429, headers: { 'x-sentry-rate-limits': '60:error;default:organization:org_quota', 'retry-after': '60' }, body: '{"detail":"rate limited"}' });
    expect((await send(t.ctx.h, envelopePath(t.ctx.project, t.ctx.key), { body: eventEnvelope() })).status).toBe(200);
    await queueDrained(t.ctx.h);
    expect(await until(() => state(t.ctx.h, t.ctx.owner), (s) => s.rateLimited === 1)).toMatchObject({ rateLimited: 1, refused: 0, queued: 0 });
    t.backend.answer = () => ({ status: 200, body: '{}' });
    const before = t.backend.received.length;

    const limited = await send(t.ctx.h, envelopePath(t.ctx.project, t.ctx.key), { body: eventEnvelope() });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-sentry-rate-limits')).toMatch(/^(59|60):error;default:organization:org_quota$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);

    // Transactions are not limited: they go through, and so does the transaction of a mixed envelope, without its event.
    expect((await send(t.ctx.h, envelopePath(t.ctx.project, t.ctx.key), { body: transaction() })).status).toBe(200);
    const mixed = await send(t.ctx.h, envelopePath(t.ctx.project, t.ctx.key), { body: both() });
    expect(mixed.status).toBe(200);
    expect(mixed.headers.get('x-sentry-rate-limits')).toMatch(/:error;default:organization:org_quota$/);
    await queueDrained(t.ctx.h);
    const sent = t.backend.received.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body.toString()).not.toContain('"type":"event"');
    expect(sent[1]!.body.toString()).toContain('"type":"transaction"');
  });
});

describe('a full queue', () => {
  it('refuses new events with 503 and a detail once SPOOL_MAX_BYTES is queued, and delivers every one it accepted', async () => {
    const backend = new RecordingBackend();
    let down = true;
    backend.answer = () => (down ? { status: 502 } : { status: 200, body: '{}' });
    const base = await backend.start();
    const { h, project, key } = await setup({ spoolMaxBytes: 1024 * 1024 });
    try {
      await h.services.upstreams.set(project, backendDsn(base, BACKEND_KEY, 7), TEST_ACTOR);
      const padding = 'p'.repeat(100 * 1024);
      const accepted: string[] = [];
      let refusal: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 0; i < 20 && !refusal; i++) {
        const id = eventId();
        const res = await send(h, envelopePath(project, key), { body: `{"event_id":"${id}"}\n{"type":"event"}\n{"message":"${padding}"}\n` });
        if (res.status === 200) accepted.push(id);
        else refusal = res;
      }
      expect(refusal?.status).toBe(503);
      expect(refusal?.json.detail).toBe('failed to queue envelope');
      expect(refusal?.json.causes[0]).toMatch(/SPOOL_MAX_BYTES/);
      expect(accepted.length).toBeGreaterThanOrEqual(8);
      const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^clientkeys_spool_full_total [1-9]/m);
      down = false;
      await queueDrained(h, 20_000);
      const delivered = new Set(backend.received.filter((r) => r.method === 'POST').map((r) => idOf(r.body)));
      for (const id of accepted) expect(delivered.has(id)).toBe(true);
    } finally {
      await h.close();
      await backend.stop();
    }
  });
});

describe('kill -9 with events queued', () => {
  const t = suiteFixture(async (onCleanup) => {
    const dir = mkdtempSync(join(tmpdir(), 'clientkeys-gateway-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    return { dir };
  });

  it('delivers every event it answered 200 after a restart, once the backend is up', async () => {
    const database = await createTestDatabase(t.dir);
    const { services, db } = servicesWithDatabase(testConfig(database.config));
    await db.migrate();
    const seed = new Seed(services);
    const project = await seed.project(await seed.org('acme'), 'web');
    const key: ProjectKeyRow = await seed.defaultKey(project);
    // The backend's port, with nothing listening on it yet.
    const probe = new RecordingBackend();
    await probe.start();
    const port = probe.port;
    await probe.stop();
    await services.upstreams.set(project, backendDsn(`http://127.0.0.1:${port}`, BACKEND_KEY, 7), TEST_ACTOR);
    await closeServices(services);
    const env = { DATABASE_URL: database.url, PORT: '0', UPSTREAM_HOSTS: '127.0.0.1' };
    try {
      const first = await serve(t.dir, env);
      const ids = Array.from({ length: 30 }, () => eventId());
      await Promise.all(
        ids.map(async (id) => {
          const res = await fetch(`${first.url}${envelopePath(project as ProjectRow, key)}`, { method: 'POST', body: eventEnvelope(id) });
          expect(res.status).toBe(200);
        }),
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const backend = new RecordingBackend();
      await backend.start(port);
      const second = await serve(t.dir, env);
      try {
        // On PostgreSQL, rows the killed instance had claimed come back when its lease (15 s) ends.
        const received = await backend.waitFor(30, 40_000);
        expect(new Set(received.map((r) => idOf(r.body)))).toEqual(new Set(ids));
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
        await backend.stop();
      }
    } finally {
      await database.drop();
    }
  });
});

describe('@sentry/node end to end, into a second clientkeys', () => {
  it("sends through clientkeys' DSN; the event shows up in the backend's recent events", async () => {
    const backend = await startHarness();
    const bseed = new Seed(backend.services);
    const borg = await bseed.org('backend-org');
    const bproject = await bseed.project(borg, 'sink');
    const bkey = await bseed.defaultKey(bproject);
    const btoken = await bseed.caller(borg, 'ops@backend.example');
    const { h, project, key } = await setup();
    try {
      await h.services.upstreams.set(project, backendDsn(backend.baseUrl, bkey.public_key, bproject.id), TEST_ACTOR);
      Sentry.init({ dsn: `http://${key.public_key}@127.0.0.1:${new URL(h.baseUrl).port}/${project.id}`, release: 'gw@1.0.0' });
      const id = Sentry.captureException(new Error('through the gateway'));
      await Sentry.flush(5000);
      await queueDrained(h);
      const recent = await until(
        async () => (await request<{ eventId: string | null; title: string | null }[]>(backend, 'GET', '/api/0/projects/backend-org/sink/events/recent/', { token: btoken })).body,
        (events) => events.some((e) => e.eventId === id),
      );
      expect(recent.find((e) => e.eventId === id)?.title).toBe('Error: through the gateway');
    } finally {
      await Sentry.close(2000);
      await h.close();
      await backend.close();
    }
  });
});
