/**
 * Where accepted requests go: the project's recent events (newest 100), the Prometheus counters,
 * and with FORWARD_URL an upstream that gets them unchanged through a bounded queue that never
 * holds ingest up.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { ProjectKeyRow, ProjectRow } from '../src/storage/schema.ts';
import { request, Seed, startHarness, type Harness } from './helpers/harness.ts';
import { envelopePath, eventEnvelope, eventId, send, sessionEnvelope } from './helpers/ingest.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** An upstream that records what it gets; `hold` keeps answers back until `release`. */
class Upstream {
  readonly received: Received[] = [];
  private held: ServerResponse[] = [];
  hold = false;
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      if (this.hold) this.held.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  release(): void {
    this.hold = false;
    for (const res of this.held.splice(0)) res.writeHead(200).end('{}');
  }

  stop(): Promise<void> {
    this.release();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function ingest(forwardUrl?: string, forwardQueueSize = 2): Partial<Config> {
  return { ingest: { maxBodyBytes: 1024 * 1024, rateLimiter: 'memory', redisUrl: undefined, forwardUrl, forwardQueueSize, statsFlushSeconds: 60 } };
}

async function metricsText(h: Harness): Promise<string> {
  const res = await fetch(`${h.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function setup(h: Harness): Promise<{ project: ProjectRow; key: ProjectKeyRow; owner: string }> {
  const seed = new Seed(h.services);
  const org = await seed.org('acme');
  const project = await seed.project(org, 'web');
  return { project, key: await seed.defaultKey(project), owner: await seed.caller(org, 'owner@acme.example') };
}

describe('recent events and metrics', () => {
  let h: Harness;
  let project: ProjectRow;
  let key: ProjectKeyRow;
  let owner: string;

  beforeAll(async () => {
    h = await startHarness(ingest());
    ({ project, key, owner } = await setup(h));
  });
  afterAll(() => h.close());

  it("keeps the project's newest 100 requests, newest first, before and after they are written", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 104; i += 1) {
      const id = eventId();
      ids.push(id);
      expect((await send(h, envelopePath(project, key), { body: eventEnvelope(id) })).status).toBe(200);
    }
    await send(h, envelopePath(project, key), { body: sessionEnvelope() });
    const path = `/api/0/projects/acme/web/events/recent/`;
    const before = await request(h, 'GET', path, { token: owner });
    expect(before.status).toBe(200);
    expect(before.body).toHaveLength(100);
    expect(before.body[0]).toMatchObject({ eventId: null, endpoint: 'envelope', itemTypes: ['session'], publicKey: key.public_key });
    expect(before.body[1]).toMatchObject({
      eventId: ids[103],
      endpoint: 'envelope',
      itemTypes: ['event'],
      sdk: 'sentry.test/1.0.0',
      platform: 'node',
      level: 'error',
      title: 'hello',
    });
    expect(before.body[99].eventId).toBe(ids[5]);

    await h.services.ingest.flush();
    const after = await request(h, 'GET', path, { token: owner });
    expect(after.body.map((e: { eventId: string }) => e.eventId)).toEqual(before.body.map((e: { eventId: string }) => e.eventId));
    const stored = await h.services.db.kysely.selectFrom('recent_events').select('id').where('project_id', '=', project.id).execute();
    expect(stored).toHaveLength(100);
  });

  it('counts accepted, dropped and refused requests by project and reason', async () => {
    await send(h, envelopePath(project, 'e'.repeat(32)), { body: eventEnvelope() });
    await send(h, `/api/${project.id}/envelope/`, { body: eventEnvelope() });
    expect((await send(h, envelopePath(project, key), { body: Buffer.alloc(2 * 1024 * 1024, 0x20) })).status).toBe(413);
    const text = await metricsText(h);
    const pid = String(project.id);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: pid, outcome: 'accepted', endpoint: 'envelope' })).toBe(105);
    expect(metricValue(text, 'clientkeys_ingest_events_total', { project_id: pid, outcome: 'accepted' })).toBe(104);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: 'unknown', outcome: 'refused', reason: 'unknown_key' })).toBe(1);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: 'unknown', outcome: 'refused', reason: 'missing_auth' })).toBe(1);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { outcome: 'refused', reason: 'too_large', endpoint: 'envelope' })).toBe(1);
    expect(text).toContain('# TYPE clientkeys_forward_requests_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe('forwarding with FORWARD_URL', () => {
  let upstream: Upstream;
  let h: Harness;
  let project: ProjectRow;
  let key: ProjectKeyRow;

  beforeAll(async () => {
    upstream = new Upstream();
    h = await startHarness(ingest(await upstream.start()));
    ({ project, key } = await setup(h));
  });
  afterAll(async () => {
    await h.close();
    await upstream.stop();
  });

  it('sends accepted requests on unchanged, and refused ones not at all', async () => {
    const body = gzipSync(eventEnvelope());
    const path = `${envelopePath(project, key)}&sentry_client=test%2F1.0`;
    expect((await send(h, path, { headers: { 'content-encoding': 'gzip', 'user-agent': 'sentry.test/1.0' }, body })).status).toBe(200);
    expect((await send(h, envelopePath(project, 'e'.repeat(32)), { body: eventEnvelope() })).status).toBe(403);
    await h.services.ingest.parts.forwarder!.drain();
    expect(upstream.received).toHaveLength(1);
    const [forwarded] = upstream.received;
    expect(forwarded!.method).toBe('POST');
    expect(forwarded!.url).toBe(path);
    expect(forwarded!.headers['content-encoding']).toBe('gzip');
    expect(forwarded!.headers['user-agent']).toBe('sentry.test/1.0');
    expect(forwarded!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(forwarded!.body.equals(body)).toBe(true);
  });

  it('drops what does not fit the queue, counts it, and never holds ingest up', async () => {
    upstream.received.length = 0;
    upstream.hold = true;
    // Four senders in flight and a queue of two: of ten, four are dropped from forwarding.
    for (let i = 0; i < 10; i += 1) expect((await send(h, envelopePath(project, key), { body: eventEnvelope() })).status).toBe(200);
    expect(metricValue(await metricsText(h), 'clientkeys_forward_requests_total', { result: 'dropped' })).toBe(4);
    upstream.release();
    await h.services.ingest.parts.forwarder!.drain();
    expect(upstream.received).toHaveLength(6);
    expect(metricValue(await metricsText(h), 'clientkeys_forward_requests_total', { result: 'sent' })).toBe(7);
  });
});

describe('forwarding to an upstream that is down', () => {
  it('counts the failure and still accepts', async () => {
    const upstream = new Upstream();
    const url = await upstream.start();
    await upstream.stop();
    const h = await startHarness(ingest(url));
    try {
      const { project, key } = await setup(h);
      expect((await send(h, envelopePath(project, key), { body: eventEnvelope() })).status).toBe(200);
      await h.services.ingest.parts.forwarder!.drain();
      expect(metricValue(await metricsText(h), 'clientkeys_forward_requests_total', { result: 'failed' })).toBe(1);
    } finally {
      await h.close();
    }
  });
});
