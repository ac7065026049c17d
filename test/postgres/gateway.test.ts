/**
 * Gateway mode on PostgreSQL with several instances: the delivery queue is the database's, so
 * what one instance accepted is delivered by another when the first is gone (killed with its rows
 * claimed: they come back when its lease ends), each event exactly once when nothing fails; and an
 * upstream set through one instance is used by the other within a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendDsn, RecordingBackend } from '../helpers/gateway.ts';
import { request, Seed, startHarness, TEST_ACTOR } from '../helpers/harness.ts';
import { envelopePath, eventEnvelope, eventId, send } from '../helpers/ingest.ts';
import { serve } from '../helpers/serve.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const BACKEND_KEY = 'b'.repeat(32);
const idOf = (body: Buffer) => JSON.parse(body.toString().split('\n')[0]!).event_id as string;

const t = suiteFixture(async (onCleanup) => {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-pg-gateway-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const database = await createTestDatabase(dir);
  onCleanup(() => database.drop());
  const survivor = await startHarness({}, { shared: database });
  onCleanup(() => survivor.close());
  return { dir, database, survivor };
});

describe('the delivery queue on PostgreSQL', () => {
  it('runs on PostgreSQL', () => {
    expect(t.survivor.db.dialect).toBe('postgres');
  });

  it('survives the instance that accepted: another instance delivers everything it answered 200', async () => {
    const seed = new Seed(t.survivor.services);
    const project = await seed.project(await seed.org('acme'), 'web');
    const key = await seed.defaultKey(project);
    const probe = new RecordingBackend();
    await probe.start();
    const port = probe.port;
    await probe.stop();
    await t.survivor.services.upstreams.set(project, backendDsn(`http://127.0.0.1:${port}`, BACKEND_KEY, 9), TEST_ACTOR);

    const doomed = await serve(t.dir, { DATABASE_URL: t.database.url, PORT: '0', UPSTREAM_HOSTS: '127.0.0.1' });
    const ids = Array.from({ length: 25 }, () => eventId());
    await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${doomed.url}${envelopePath(project, key)}`, { method: 'POST', body: eventEnvelope(id) });
        expect(res.status).toBe(200);
      }),
    );
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    const backend = new RecordingBackend();
    await backend.start(port);
    try {
      const received = await backend.waitFor(25, 40_000);
      expect(new Set(received.map((r) => idOf(r.body)))).toEqual(new Set(ids));
    } finally {
      await backend.stop();
    }
  });

  it('delivers each event once with two instances sharing the queue, and follows an upstream set on the other instance within a second', async () => {
    const other = await startHarness({}, { shared: t.database });
    const backend = new RecordingBackend();
    const base = await backend.start();
    try {
      const seed = new Seed(other.services);
      const org = await seed.org('two');
      const project = await seed.project(org, 'web');
      const key = await seed.defaultKey(project);
      const owner = await seed.caller(org, 'owner@two.example');
      // Set through one instance; the other's key map hears of it through LISTEN/NOTIFY.
      expect((await request(other, 'PUT', '/api/0/projects/two/web/', { token: owner, body: { upstreamDsn: backendDsn(base, BACKEND_KEY, 3) } })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const ids = Array.from({ length: 40 }, () => eventId());
      await Promise.all(ids.map((id, i) => send(i % 2 ? other : t.survivor, envelopePath(project, key), { body: eventEnvelope(id) }).then((r) => expect(r.status).toBe(200))));
      const received = await backend.waitFor(40, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(backend.received).toHaveLength(40);
      expect(new Set(received.map((r) => idOf(r.body)))).toEqual(new Set(ids));
    } finally {
      await other.close();
      await backend.stop();
    }
  });
});
