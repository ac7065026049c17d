/**
 * The delivery worker's window and its grouped bookkeeping, on the worker itself over a real
 * database: a group of sends where some are delivered, some refused and some fail leaves exactly
 * the failed ones queued, each with its own attempt count and retry time, and the queue's bytes
 * down by exactly the rows removed; a send that hangs does not hold up the others (claims go on
 * while sends are in flight, never more than DELIVERY_CONCURRENCY at once); rows claimed and not
 * sent are given back at stop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upstreamHostPolicy } from '../src/domain/upstream-hosts.ts';
import { DeliveryWorker } from '../src/gateway/delivery.ts';
import type { GatewayMetrics } from '../src/gateway/metrics.ts';
import { entrySize, Spool, type SpoolEntry } from '../src/gateway/spool.ts';
import { UpstreamLimits } from '../src/gateway/upstream-limits.ts';
import { openDatabase, type Database } from '../src/storage/database.ts';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.ts';

class FakeMetrics implements GatewayMetrics {
  bytes = -1;
  outcomes: Record<string, number> = {};
  delivery(outcome: string): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }
  spoolFull(): void {}
  spoolBytes(bytes: number): void {
    this.bytes = bytes;
  }
  commit(): void {}
  queueSnapshot = async () => [];
}

/** A backend whose answer to each request (by the number in its body) the test decides, maybe later. */
class Backend {
  inFlight = 0;
  maxInFlight = 0;
  readonly received: number[] = [];
  answer: (n: number) => Promise<{ status: number; headers?: Record<string, string> }> = async () => ({ status: 200 });
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = Number(Buffer.concat(chunks).toString());
      this.received.push(n);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      void this.answer(n).then(({ status, headers }) => {
        this.inFlight -= 1;
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}');
      });
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(done: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let dir: string;
let testDb: TestDatabase;
let db: Database;
let backend: Backend;
let metrics: FakeMetrics;
let spool: Spool;
let worker: DeliveryWorker | undefined;
let errors: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clientkeys-window-'));
  testDb = await createTestDatabase(dir);
  db = openDatabase(testDb.config);
  await db.migrate();
  backend = new Backend();
  await backend.start();
  metrics = new FakeMetrics();
  errors = [];
  spool = new Spool(db, 10_000_000, metrics);
  await spool.start();
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  expect(errors).toEqual([]);
  spool.close();
  await backend.stop();
  await db.close();
  await testDb.drop();
  rmSync(dir, { recursive: true, force: true });
});

function entry(n: number): SpoolEntry {
  return {
    projectId: 1,
    upstream: `${new URL(backend.url).host}/1`,
    request: { url: `${backend.url}/api/1/envelope/`, method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.from(String(n).padEnd(20 + n, ' ')) },
    eventId: undefined,
  };
}

/** Rows `from` … `from + count - 1`, committed together; their sizes. */
async function enqueue(count: number, from = 0): Promise<number[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, n) => spool.enqueue(entry(from + n))));
  expect(results.every((r) => r.ok)).toBe(true);
  return Array.from({ length: count }, (_, n) => entrySize(entry(from + n)));
}

const rows = () => db.kysely.selectFrom('deliveries').selectAll().orderBy('id').execute();

function startWorker(options: ConstructorParameters<typeof DeliveryWorker>[5]): DeliveryWorker {
  const started = new DeliveryWorker(db, spool, new UpstreamLimits(), upstreamHostPolicy('127.0.0.1'), metrics, { pollMs: 100, ...options });
  started.onError = (message, error) => errors.push(`${message}: ${String(error)}`);
  worker = started;
  return started;
}

describe('the delivery window', () => {
  it('leaves exactly the failed rows of a group queued, each with its retry time, and releases exactly the removed bytes', async () => {
    const count = 30;
    const sizes = await enqueue(count);
    const queuedBytes = sizes.reduce((a, b) => a + b, 0);
    expect(metrics.bytes).toBe(queuedBytes);
    // Every row is in flight at once (concurrency above the count): all are attempted before any answer.
    let release!: () => void;
    const allIn = new Promise<void>((resolve) => (release = resolve));
    backend.answer = async (n) => {
      if (backend.received.length === count) release();
      await allIn;
      if (n % 2 === 1) return { status: 503, headers: { 'retry-after': '120' } };
      if (n % 5 === 0) return { status: 403 };
      return { status: 200 };
    };
    const before = Date.now();
    await startWorker({ concurrency: 64 }).start();
    await until(async () => (await rows()).length === count / 2 && (await rows()).every((r) => r.lease_until === null));
    await until(() => (metrics.outcomes.retried ?? 0) + (metrics.outcomes.delivered ?? 0) + (metrics.outcomes.refused ?? 0) === count);

    const left = await rows();
    const failed = Array.from({ length: count }, (_, n) => n).filter((n) => n % 2 === 1);
    expect(left.map((r) => Number(r.body!.toString().trim()))).toEqual(failed);
    for (const row of left) {
      expect(row.attempts).toBe(1);
      expect(Number(row.next_attempt_at)).toBeGreaterThanOrEqual(before + 120_000);
      expect(row.lease_until).toBeNull();
    }
    expect(metrics.outcomes).toEqual({ delivered: 12, refused: 3, retried: 15 });
    expect(backend.received.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, n) => n));
    // What the queue's bound counts: the failed rows' bytes alone.
    const failedBytes = failed.reduce((sum, n) => sum + sizes[n]!, 0);
    await until(() => metrics.bytes === failedBytes);
    expect(metrics.bytes).toBe(failedBytes);
  });

  it('keeps sending while one send hangs, never more than DELIVERY_CONCURRENCY at once', async () => {
    const count = 100;
    await enqueue(count);
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    backend.answer = async (n) => {
      if (n === 0) await blocked;
      else await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200 };
    };
    await startWorker({ concurrency: 4, timeoutMs: 20_000 }).start();
    // Everything but the hanging row is delivered and removed while it hangs (batch-then-wait would stop at the first batch).
    await until(async () => (await rows()).length === 1);
    expect((await rows()).map((r) => r.body!.toString().trim())).toEqual(['0']);
    expect(backend.maxInFlight).toBeLessThanOrEqual(4);
    unblock();
    await until(async () => (await rows()).length === 0);
    expect(backend.received.length).toBe(count);
    expect(metrics.bytes).toBe(0);
  });

  it('gives back at stop the rows it claimed and did not send; none is removed unsent', async () => {
    await enqueue(40);
    backend.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { status: 200 };
    };
    const started = startWorker({ concurrency: 2 });
    await started.start();
    await until(() => backend.received.length >= 4);
    await started.stop();
    worker = undefined;
    const left = await rows();
    expect(left.every((r) => r.lease_until === null)).toBe(true);
    const sent = new Set(backend.received);
    // Every row that is gone was sent; every row sent was removed (its answer came before the stop ended).
    expect(left.length).toBe(40 - sent.size);
    for (const row of left) expect(sent.has(Number(row.body!.toString().trim()))).toBe(false);
  });
});

describe('rows committed while the worker runs', () => {
  /** The worker as the composition root wires it, with every row it reads back from the queue counted. */
  function wired(options: ConstructorParameters<typeof DeliveryWorker>[5]): { worker: DeliveryWorker; readBack: () => number } {
    const started = startWorker(options);
    spool.onCommitted = (deliveries) => started.committed(deliveries);
    let read = 0;
    const store = db.stores.deliveries;
    const dueAfter = store.dueAfter.bind(store);
    const claimDue = store.claimDue.bind(store);
    store.dueAfter = async (...args) => {
      const rows = await dueAfter(...args);
      read += rows.length;
      return rows;
    };
    store.claimDue = async (...args) => {
      const rows = await claimDue(...args);
      read += rows.length;
      return rows;
    };
    return { worker: started, readBack: () => read };
  }

  it('are sent as committed, each once and with its own body; on SQLite none is read back from the queue', async () => {
    const { worker: started, readBack } = wired({ concurrency: 16, pollMs: 60_000 });
    await started.start();
    // The start's own claim (of nothing, one statement) ends well within this: the worker has read all there was.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const count = 200;
    // Each group is committed once the last is delivered: the worker is never behind.
    for (let n = 0; n < count; n += 20) {
      await enqueue(20, n);
      await until(async () => (await rows()).length === 0 && backend.received.length === n + 20);
    }
    expect(backend.received.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(metrics.outcomes).toEqual({ delivered: count });
    // On SQLite the one server holds what it committed; PostgreSQL's instances share the queue and claim.
    expect(readBack()).toBe(db.dialect === 'sqlite' ? 0 : count);
    expect(metrics.bytes).toBe(0);
  });

  it('are read from the queue instead when the worker has more waiting than a claim holds, and each still goes once', async () => {
    backend.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 200 };
    };
    // A claim holds concurrency × 8 = 16 rows: most of these wait in the queue.
    const { worker: started, readBack } = wired({ concurrency: 2, pollMs: 60_000 });
    await started.start();
    const count = 120;
    await Promise.all(Array.from({ length: 6 }, (_, i) => enqueue(20, i * 20)));
    await until(async () => (await rows()).length === 0 && backend.received.length === count);
    expect(backend.received.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(readBack()).toBeGreaterThan(0);
    expect(metrics.outcomes).toEqual({ delivered: count });
  });
});

describe('the queue store', () => {
  it('gives the ids of an insert in the order of its rows, over several statements and after rows were removed', async () => {
    const row = (n: number) => ({
      project_id: 1,
      upstream: 'forward',
      url: `http://127.0.0.1/${n}`,
      method: 'POST',
      headers: '{}',
      body: Buffer.from(String(n)),
      size: 300,
      event_id: null,
      created_at: 0,
      next_attempt_at: 0,
    });
    const first = await db.transaction((stores) => stores.deliveries.insertMany([row(-3), row(-2), row(-1)]));
    // The newest row gone: ids go on after it, never reused.
    await db.stores.deliveries.remove([first[2]!]);
    // More rows than one statement takes (500), so the ids come from three.
    const written = Array.from({ length: 1100 }, (_, n) => row(n));
    const ids = await db.transaction((stores) => stores.deliveries.insertMany(written));
    expect(ids).toHaveLength(written.length);
    expect(ids[0]).toBeGreaterThan(first[2]!);
    const byId = new Map((await rows()).map((r) => [Number(r.id), r.url]));
    expect(first.slice(0, 2).map((id) => byId.get(id))).toEqual([row(-3).url, row(-2).url]);
    expect(ids.map((id) => byId.get(id))).toEqual(written.map((w) => w.url));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives back only a lease that is still the one given: a row another instance claimed since keeps its lease', async () => {
    await enqueue(1);
    const store = db.stores.deliveries;
    const now = Date.now();
    const [first] = await store.claimDue(now, 10, now + 1000);
    expect(first).toBeDefined();
    // The first lease ran out; another instance claimed the row.
    const [second] = await store.claimDue(now + 2000, 10, now + 20_000);
    expect(second?.id).toBe(first!.id);
    await store.releaseLeases([first!.id], now + 1000);
    expect(Number((await rows())[0]!.lease_until)).toBe(now + 20_000);
    await store.releaseLeases([first!.id], now + 20_000);
    expect((await rows())[0]!.lease_until).toBeNull();
  });
});
