/**
 * Where accepted requests go: the project's recent events (newest 100), the Prometheus counters,
 * and with FORWARD_URL an upstream that gets them unchanged through the durable delivery queue
 * (the gateway's own tests are in gateway.test.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { connect } from 'node:net';
import { ingestConfig, request, Seed, startHarness, type Acme, type Harness } from './helpers/harness.ts';
import { queueDrained } from './helpers/gateway.ts';
import { envelopePath, eventEnvelope, eventId, send, sessionEnvelope } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

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

function ingest(forwardUrl?: string): Partial<Config> {
  return { ingest: ingestConfig({ forwardUrl, statsFlushSeconds: 60 }) };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: the answer comes before the server closes (the request asks it to).
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
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

function setup(h: Harness): Promise<Acme> {
  return new Seed(h.services).acme();
}

describe('recent events and metrics', () => {
  const t = suiteFixture(async (onCleanup) => {
    const h = await startHarness(ingest());
    onCleanup(() => h.close());
    const { project, key, owner } = await setup(h);
    return { h, project, key, owner };
  });

  it("keeps the project's newest 100 requests, newest first, before and after they are written", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 104; i += 1) {
      const id = eventId();
      ids.push(id);
      expect((await send(t.h, envelopePath(t.project, t.key), { body: eventEnvelope(id) })).status).toBe(200);
    }
    await send(t.h, envelopePath(t.project, t.key), { body: sessionEnvelope() });
    const path = `/api/0/projects/acme/web/events/recent/`;
    const before = await request(t.h, 'GET', path, { token: t.owner });
    expect(before.status).toBe(200);
    expect(before.body).toHaveLength(100);
    expect(before.body[0]).toMatchObject({ eventId: null, endpoint: 'envelope', itemTypes: ['session'], publicKey: t.key.public_key });
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

    await t.h.services.ingest.flush();
    const after = await request(t.h, 'GET', path, { token: t.owner });
    expect(after.body.map((e: { eventId: string }) => e.eventId)).toEqual(before.body.map((e: { eventId: string }) => e.eventId));
    const stored = await t.h.db.kysely.selectFrom('recent_events').select('id').where('project_id', '=', t.project.id).execute();
    expect(stored).toHaveLength(100);
  });

  it('counts accepted, dropped and refused requests by project and reason', async () => {
    await send(t.h, envelopePath(t.project, 'e'.repeat(32)), { body: eventEnvelope() });
    await send(t.h, `/api/${t.project.id}/envelope/`, { body: eventEnvelope() });
    expect((await send(t.h, envelopePath(t.project, t.key), { body: Buffer.alloc(2 * 1024 * 1024, 0x20) })).status).toBe(413);
    const text = await metricsText(t.h);
    const pid = String(t.project.id);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: pid, outcome: 'accepted', endpoint: 'envelope' })).toBe(105);
    expect(metricValue(text, 'clientkeys_ingest_events_total', { project_id: pid, outcome: 'accepted' })).toBe(104);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: 'unknown', outcome: 'refused', reason: 'unknown_key' })).toBe(1);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { project_id: 'unknown', outcome: 'refused', reason: 'missing_auth' })).toBe(1);
    expect(metricValue(text, 'clientkeys_ingest_requests_total', { outcome: 'refused', reason: 'too_large', endpoint: 'envelope' })).toBe(1);
    expect(text).toContain('# TYPE clientkeys_upstream_deliveries_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe('forwarding with FORWARD_URL', () => {
  const t = suiteFixture(async (onCleanup) => {
    const upstream = new Upstream();
    const upstreamUrl = await upstream.start();
    onCleanup(() => upstream.stop());
    const h = await startHarness(ingest(upstreamUrl));
    onCleanup(() => h.close());
    const { project, key } = await setup(h);
    return { upstream, h, project, key };
  });

  it('sends accepted requests on unchanged, through the delivery queue, and refused ones not at all', async () => {
    const body = gzipSync(eventEnvelope());
    const path = `${envelopePath(t.project, t.key)}&sentry_client=test%2F1.0`;
    expect((await send(t.h, path, { headers: { 'content-encoding': 'gzip', 'user-agent': 'sentry.test/1.0' }, body })).status).toBe(200);
    expect((await send(t.h, envelopePath(t.project, 'e'.repeat(32)), { body: eventEnvelope() })).status).toBe(403);
    await queueDrained(t.h);
    expect(t.upstream.received).toHaveLength(1);
    const [forwarded] = t.upstream.received;
    expect(forwarded!.method).toBe('POST');
    expect(forwarded!.url).toBe(path);
    expect(forwarded!.headers['content-encoding']).toBe('gzip');
    expect(forwarded!.headers['user-agent']).toBe('sentry.test/1.0');
    expect(forwarded!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(forwarded!.body.equals(body)).toBe(true);
    expect(metricValue(await metricsText(t.h), 'clientkeys_upstream_deliveries_total', { outcome: 'delivered' })).toBe(1);
  });

  it('builds the upstream URL from the routed path: an absolute-form request target cannot change the host (finding L7)', async () => {
    t.upstream.received.length = 0;
    const { port } = new URL(t.h.baseUrl);
    const answer = await rawRequest(Number(port), `POST http://evil.example${envelopePath(t.project, t.key)} HTTP/1.1\r\nHost: evil.example\r\nContent-Length: ${Buffer.byteLength(eventEnvelope())}\r\nConnection: close\r\n\r\n${eventEnvelope()}`);
    expect(answer).toMatch(/^HTTP\/1\.1 (200|404)/);
    await queueDrained(t.h);
    for (const received of t.upstream.received) expect(received.url.startsWith('/api/')).toBe(true);
    // Whatever the answer, nothing left for another host: the queue is empty and the upstream saw only paths.
    expect(await t.h.db.stores.deliveries.queueState(t.project.id)).toMatchObject({ queued: 0 });
  });
});
