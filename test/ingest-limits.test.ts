/**
 * What a DSN request may cost and make us keep: the key is checked before the body is read, a
 * refusal reaches a client still sending (lingering close, against a real `clientkeys serve`),
 * Content-Encoding stacks at most two layers, a store body inflates to at most the body limit,
 * and what recent events keep of an envelope is bounded.
 */
import { request as httpRequest } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_ITEM_TYPES, MAX_ITEM_TYPE_LENGTH, MAX_SDK_LENGTH } from '../src/ingest/endpoints.ts';
import { MAX_LEVEL_LENGTH, MAX_PLATFORM_LENGTH, MAX_TITLE_LENGTH } from '../src/ingest/recent-events.ts';
import { ingestConfig, request, startOrg } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, eventId, send } from './helpers/ingest.ts';
import { serve } from './helpers/serve.ts';
import { processDatabase, suiteFixture } from './helpers/fixture.ts';

const LIMIT = 4 * 1024 * 1024;

/** POST `size` bytes in 64 KiB writes, as a client that keeps sending whatever the server answers. */
function postLarge(url: string, size: number, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', headers: chunked ? {} : { 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

async function postWithFetch(url: string, size: number): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', body: Buffer.alloc(size, 0x61) });
    await res.arrayBuffer();
    return String(res.status);
  } catch (error) {
    return String((error as { cause?: { code?: string } }).cause?.code ?? error);
  }
}

const tally = (results: string[]) => results.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r]: (counts[r] ?? 0) + 1 }), {});

describe('refusals reach clients that are still sending (a real server process)', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { dir, env, seeded } = await processDatabase(onCleanup, 'limits', async (seed) => {
      const project = await seed.project(await seed.org('acme'), 'web');
      return { project, key: await seed.defaultKey(project) };
    });
    const server = await serve(dir, { ...env, INGEST_MAX_BODY_SIZE: String(LIMIT) });
    onCleanup(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    return {
      good: `${server.url}${envelopePath(seeded.project, seeded.key)}`,
      unknown: `${server.url}${envelopePath(seeded.project, 'f'.repeat(32))}`,
    };
  });

  // 52 clients at once with 5-6 MiB bodies over a 4 MiB limit: before the lingering close, 3 to
  // 49 of them got EPIPE instead of the answer.
  const sizes = Array.from({ length: 52 }, (_, i) => 5 * 1024 * 1024 + (i % 8) * 128 * 1024);

  it('a 413 for a body over the limit, with Content-Length, chunked, and from fetch', async () => {
    expect(tally(await Promise.all(sizes.map((size) => postLarge(t.good, size, false))))).toEqual({ 413: 52 });
    expect(tally(await Promise.all(sizes.map((size) => postLarge(t.good, size, true))))).toEqual({ 413: 52 });
    expect(tally(await Promise.all(sizes.map((size) => postWithFetch(t.good, size))))).toEqual({ 413: 52 });
  });

  it('a 403 for an unknown key, answered before the body is read', async () => {
    expect(tally(await Promise.all(sizes.map((size) => postWithFetch(t.unknown, size))))).toEqual({ 403: 52 });
  });

  it('keeps the connection usable after a refusal it drained', async () => {
    const res = await fetch(t.good, { method: 'POST', body: eventEnvelope() });
    expect(res.status).toBe(200);
  });
});

describe('one server in process', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { h, seed, org } = await startOrg({ ingest: ingestConfig({ maxBodyBytes: 64 * 1024, statsFlushSeconds: 60 }) });
    onCleanup(() => h.close());
    const project = await seed.project(org, 'web');
    const key = await createKey(h, project);
    const token = await seed.caller(org, 'ann@acme.example');
    return { h, project, key, token };
  });

  it('checks the key before it reads the body: a bad key is refused whatever the body', async () => {
    const garbage = 'x'.repeat(10_000);
    // With a valid key, the same body is a 400 (its content is read); without one, a 403 or 401.
    expect((await send(t.h, `/api/${t.project.id}/minidump/?sentry_key=${t.key.public_key}`, { body: garbage })).status).toBe(400);
    expect((await send(t.h, `/api/${t.project.id}/minidump/?sentry_key=${'e'.repeat(32)}`, { body: garbage })).json).toEqual({
      detail: 'event submission rejected with_reason: ProjectId',
    });
    expect((await send(t.h, `/api/${t.project.id}/store/`, { body: garbage })).status).toBe(401);
  });

  it('accepts at most two Content-Encoding layers, and refuses unknown ones before reading', async () => {
    const twice = gzipSync(gzipSync(Buffer.from(eventEnvelope())));
    expect((await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'gzip, gzip' }, body: twice })).status).toBe(200);
    const thrice = gzipSync(twice);
    const res = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'gzip, gzip, gzip' }, body: thrice });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: 'invalid request body', causes: ['at most 2 content encodings are accepted'] });
    const many = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': Array(500).fill('gzip').join(', ') }, body: 'x' });
    expect(many.status).toBe(400);
    const unknownEncoding = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'zstd' }, body: 'x' });
    expect(unknownEncoding.json).toEqual({ detail: 'invalid request body', causes: ['unsupported content encoding "zstd"'] });
  });

  it('inflates a base64 store body to at most the body limit (413 beyond, as Relay)', async () => {
    const event = Buffer.from(JSON.stringify({ event_id: eventId(), message: 'm'.repeat(200 * 1024) }));
    const body = deflateSync(event).toString('base64');
    expect(body.length).toBeLessThan(64 * 1024);
    const res = await send(t.h, `/api/${t.project.id}/store/?sentry_key=${t.key.public_key}`, { body });
    expect(res.status).toBe(413);
    const small = deflateSync(Buffer.from(JSON.stringify({ event_id: eventId(), message: 'ok' }))).toString('base64');
    expect((await send(t.h, `/api/${t.project.id}/store/?sentry_key=${t.key.public_key}`, { body: small })).status).toBe(200);
  });

  it('refuses JSON nested deeper than 128 levels in the envelope header and in events', async () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const header = await send(t.h, `/api/${t.project.id}/envelope/`, { body: `{"dsn":"x","a":${deep(200)}}\n{"type":"event"}\n{}\n` });
    expect(header.status).toBe(401);
    expect(header.json.detail).toBe('bad envelope authentication header');
    const store = await send(t.h, `/api/${t.project.id}/store/?sentry_key=${t.key.public_key}`, { body: `{"a":${deep(200)}}` });
    expect(store.status).toBe(400);
    expect(store.json).toEqual({ detail: 'invalid JSON data', causes: ['the JSON nests too deeply'] });
    const fine = await send(t.h, `/api/${t.project.id}/store/?sentry_key=${t.key.public_key}`, { body: `{"a":${deep(100)}}` });
    expect(fine.status).toBe(200);
  });

  it('answers 401, not 500, to an envelope dsn with a bad % escape', async () => {
    const res = await send(t.h, `/api/${t.project.id}/envelope/`, { body: `{"dsn":"http://%zz@testserver/${t.project.id}"}\n{"type":"event"}\n{}\n` });
    expect(res.status).toBe(401);
    expect(res.json.detail).toBe('bad envelope authentication header');
  });

  it('keeps bounded item types and SDK names in recent events', async () => {
    const items = Array.from({ length: 100 }, (_, i) => `{"type":"${'t'.repeat(100)}${i}"}\n{}\n`).join('');
    const header = JSON.stringify({ event_id: eventId(), sdk: { name: 'n'.repeat(5000), version: '1' } });
    expect((await send(t.h, envelopePath(t.project, t.key), { body: `${header}\n${items}` })).status).toBe(200);
    const recent = await request<{ itemTypes: string[]; sdk: string }[]>(t.h, 'GET', `/api/0/projects/acme/web/events/recent/`, { token: t.token });
    expect(recent.status).toBe(200);
    const [latest] = recent.body;
    expect(latest!.itemTypes).toHaveLength(MAX_ITEM_TYPES);
    expect(Math.max(...latest!.itemTypes.map((t) => t.length))).toBe(MAX_ITEM_TYPE_LENGTH);
    expect(latest!.sdk).toHaveLength(MAX_SDK_LENGTH);
  });

  it('keeps at most 100 events and well under 1 MB per project, whatever the SDK sends', async () => {
    const items = Array.from({ length: 40 }, (_, i) => `{"type":"${'t'.repeat(80)}${i}"}\n{}\n`).join('');
    const event = JSON.stringify({ platform: 'p'.repeat(500), level: 'l'.repeat(500), message: '\u{1F600}'.repeat(500) });
    for (let i = 0; i < 150; i++) {
      const header = JSON.stringify({ event_id: eventId(), sdk: { name: 'n'.repeat(2000), version: '1' } });
      expect((await send(t.h, envelopePath(t.project, t.key), { body: `${header}\n{"type":"event"}\n${event}\n${items}` })).status).toBe(200);
    }
    await t.h.services.ingest.flush();
    const rows = await t.h.db.stores.recentEvents.latest(t.project.id, 1000);
    expect(rows).toHaveLength(100);
    const bytes = rows.reduce((sum, row) => sum + Object.values(row).reduce<number>((n, v) => n + Buffer.byteLength(String(v ?? '')), 0), 0);
    expect(bytes).toBeLessThan(400 * 1024);
  });

  it("keeps an event's platform, level and title bounded", async () => {
    const event = JSON.stringify({ platform: 'p'.repeat(5000), level: 'l'.repeat(5000), message: 'm'.repeat(5000) });
    const body = `{"event_id":"${eventId()}"}\n{"type":"event"}\n${event}\n`;
    expect((await send(t.h, envelopePath(t.project, t.key), { body })).status).toBe(200);
    const recent = await request<{ platform: string; level: string; title: string }[]>(t.h, 'GET', `/api/0/projects/acme/web/events/recent/`, { token: t.token });
    const [latest] = recent.body;
    expect([latest!.platform.length, latest!.level.length, latest!.title.length]).toEqual([MAX_PLATFORM_LENGTH, MAX_LEVEL_LENGTH, MAX_TITLE_LENGTH]);
  });
});
