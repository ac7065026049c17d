/**
 * PostgreSQL goes away under load and comes back: requests meanwhile get a 503 with a clear
 * detail (never a 500, never a hang), the server recovers by itself, and the change bus resumes
 * listening and tells its subscribers to resync.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/changes/bus.ts';
import type { PostgresChangeBus } from '../../src/changes/postgres-bus.ts';
import { request, Seed, startHarness } from '../helpers/harness.ts';
import { startCluster } from '../helpers/postgres-cluster.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const cluster = await startCluster();
  onCleanup(() => cluster.destroy());
  const url = cluster.url('postgres');
  const h = await startHarness({}, {
    shared: { config: { kind: 'postgres', url, poolSize: 5, connectTimeoutMs: 1000 }, url, drop: async () => {} },
  });
  onCleanup(() => h.close());
  const { owner: token } = await new Seed(h.services).acme();
  return { cluster, h, token };
});

const keys = '/api/0/projects/acme/web/keys/';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('losing the database', () => {
  it('answers 503 while PostgreSQL is down and recovers when it is back', async () => {
    const bus = t.h.services.changes as PostgresChangeBus;
    const events: ChangeEvent[] = [];
    bus.subscribe((event) => events.push(event));
    await bus.listening();

    const statuses: number[] = [];
    const bodies = new Map<number, unknown>();
    let running = true;
    const worker = async () => {
      while (running) {
        const started = Date.now();
        const res = await request(t.h, 'GET', keys, { token: t.token });
        statuses.push(res.status);
        bodies.set(res.status, res.body);
        expect(Date.now() - started).toBeLessThan(10_000);
        await sleep(20);
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    await sleep(300);
    expect(statuses.every((s) => s === 200)).toBe(true);
    t.cluster.stop();
    const downAt = statuses.length;
    await sleep(2500);
    const duringOutage = statuses.slice(downAt);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(duringOutage).toContain(503);

    t.cluster.start();
    const deadline = Date.now() + 15_000;
    while (statuses.at(-1) !== 200 && Date.now() < deadline) await sleep(100);
    const upAt = statuses.length;
    await sleep(500);
    running = false;
    await Promise.all(workers);

    expect(statuses.slice(upAt).every((s) => s === 200)).toBe(true);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(bodies.get(503)).toEqual({
      detail: 'The service is temporarily unavailable: the database cannot be reached. Retry shortly.',
    });

    // The listener came back by itself and asked subscribers to start afresh.
    const resyncDeadline = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'resync') && Date.now() < resyncDeadline) await sleep(100);
    expect(events).toContainEqual({ type: 'resync' });
    await bus.listening();
    const created = await request(t.h, 'POST', keys, { token: t.token, body: { name: 'after the outage' } });
    expect(created.status).toBe(201);
  });

  it('says so on /readyz while down, and ok once back', async () => {
    expect((await request(t.h, 'GET', '/readyz')).status).toBe(200);
    t.cluster.stop();
    try {
      const down = await request(t.h, 'GET', '/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'unavailable' });
    } finally {
      t.cluster.start();
    }
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await request(t.h, 'GET', '/readyz')).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });
});
