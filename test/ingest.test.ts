/**
 * The DSN endpoints over real HTTP: every auth source and refusal as Relay answers them, bodies as
 * SDKs send them (chunked, compressed, too large), every endpoint of the DSN set, Relay's CORS.
 */
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isIngestUrl } from '../src/routes/ingest-handler.ts';
import { ingestConfig, startOrg, TEST_ACTOR } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, eventId, send, sessionEnvelope, setActive } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

const MISSING = { detail: 'missing authorization information' };
const MULTIPLE = { detail: 'multiple authorization payloads detected' };
const REJECTED = { detail: 'event submission rejected with_reason: ProjectId' };

const t = suiteFixture(async (onCleanup) => {
  const { seed, ...started } = await startOrg({ ingest: ingestConfig({ maxBodyBytes: 64 * 1024 }) });
  const { h, org } = started;
  onCleanup(() => h.close());
  const project = await seed.project(org, 'web');
  const other = await seed.project(org, 'api');
  const key = await seed.defaultKey(project);
  return { h, project, other, key };
});

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

describe('authentication, as Relay reads it', () => {
  it('accepts the key from every source and answers with the event id', async () => {
    const plain = `/api/${t.project.id}/envelope/`;
    const cases: [string, Record<string, string>][] = [
      [envelopePath(t.project, t.key), {}],
      [plain, { 'x-sentry-auth': `Sentry sentry_key=${t.key.public_key}, sentry_version=7, sentry_client=test/1.0` }],
      [plain, { 'x-sentry-auth': `sentry sentry_key=${t.key.public_key},sentry_secret=ignored` }],
      [plain, { authorization: `Sentry sentry_key=${t.key.public_key}` }],
      [plain, { authorization: basic(t.key.public_key) }],
      [`${plain}?sentry_key=${t.key.public_key}.no-cache`, {}],
    ];
    for (const [path, headers] of cases) {
      const id = eventId();
      const res = await send(t.h, path, { headers, body: eventEnvelope(id) });
      expect({ path, headers, status: res.status, body: res.json }).toEqual({ path, headers, status: 200, body: { id } });
    }
  });

  it("takes the envelope header's dsn when the request carries no credential", async () => {
    const id = eventId();
    const dsn = `http://${t.key.public_key}@testserver/${t.project.id}`;
    const res = await send(t.h, `/api/${t.project.id}/envelope/`, { body: eventEnvelope(id, { dsn }) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id });
  });

  it('refuses a request without any credential with 401', async () => {
    const res = await send(t.h, `/api/${t.project.id}/envelope/`, { body: eventEnvelope() });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(MISSING);
    // "Authorization: Bearer …" and undecodable Basic are not Sentry credentials at all.
    for (const authorization of ['Bearer abc', 'Basic %%%', basic('nocolon').replace(/=*$/, '')]) {
      const r = await send(t.h, `/api/${t.project.id}/store/`, { headers: { authorization }, body: '{}' });
      expect(r.status, authorization).toBe(401);
      expect(r.json).toEqual(MISSING);
    }
  });

  it('refuses more than one credential with 401', async () => {
    const sentry = `Sentry sentry_key=${t.key.public_key}`;
    for (const [path, headers] of [
      [envelopePath(t.project, t.key), { 'x-sentry-auth': sentry }],
      [`/api/${t.project.id}/envelope/`, { 'x-sentry-auth': sentry, authorization: sentry }],
      [envelopePath(t.project, t.key), { authorization: basic(t.key.public_key) }],
      [`/api/${t.project.id}/unreal/${t.key.public_key}/?sentry_key=${t.key.public_key}`, {}],
    ] as const) {
      const res = await send(t.h, path, { headers, body: eventEnvelope() });
      expect({ path, status: res.status, body: res.json }).toEqual({ path, status: 401, body: MULTIPLE });
    }
  });

  it('refuses a Sentry credential without a key with 401, naming the cause', async () => {
    const res = await send(t.h, `/api/${t.project.id}/envelope/`, { headers: { 'x-sentry-auth': 'Sentry sentry_version=7' }, body: eventEnvelope() });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ detail: 'bad x-sentry-auth header', causes: ['missing public key in auth header'] });
    const query = await send(t.h, `/api/${t.project.id}/envelope/?sentry_version=7`, { body: eventEnvelope() });
    expect(query.status).toBe(401);
    expect(query.json.detail).toBe('bad x-sentry-auth header');
  });

  it('refuses a malformed key or a newer protocol with 400', async () => {
    const short = await send(t.h, envelopePath(t.project, 'abc'), { body: eventEnvelope() });
    expect(short.status).toBe(400);
    expect(short.json).toEqual({ detail: 'bad sentry DSN public key', causes: ['invalid project key'] });
    const version = await send(t.h, `/api/${t.project.id}/envelope/?sentry_key=${t.key.public_key}&sentry_version=8`, { body: eventEnvelope() });
    expect(version.status).toBe(400);
    expect(version.json).toEqual({ detail: 'unsupported protocol version (8)' });
    const badVersion = await send(t.h, `/api/${t.project.id}/envelope/?sentry_key=${t.key.public_key}&sentry_version=x`, { body: eventEnvelope() });
    expect(badVersion.status).toBe(401);
    expect(badVersion.json).toEqual({ detail: 'bad x-sentry-auth header', causes: ['invalid value for version'] });
    const project400 = await send(t.h, `/api/abc/envelope/?sentry_key=${t.key.public_key}`, { body: eventEnvelope() });
    expect(project400.status).toBe(400);
    expect(project400.json.detail).toBe('bad project path parameter');
  });

  it('refuses a bad envelope-header dsn with 401', async () => {
    for (const header of ['{"dsn":"not a url"}', '{"dsn":"http://testserver/1"}', 'not json']) {
      const res = await send(t.h, `/api/${t.project.id}/envelope/`, { body: `${header}\n{"type":"event"}\n{}\n` });
      expect(res.status, header).toBe(401);
      expect(res.json.detail, header).toBe('bad envelope authentication header');
    }
  });

  it('refuses an unknown key, a disabled key and a key of another project with 403', async () => {
    const unknown = await send(t.h, envelopePath(t.project, 'f'.repeat(32)), { body: eventEnvelope() });
    expect(unknown.status).toBe(403);
    expect(unknown.json).toEqual(REJECTED);
    const wrongProject = await send(t.h, envelopePath(t.other, t.key), { body: eventEnvelope() });
    expect(wrongProject.status).toBe(403);
    expect(wrongProject.json).toEqual(REJECTED);

    const disabled = await createKey(t.h, t.project);
    expect((await send(t.h, envelopePath(t.project, disabled), { body: eventEnvelope() })).status).toBe(200);
    await setActive(t.h, t.project, disabled, false);
    const refused = await send(t.h, envelopePath(t.project, disabled), { body: eventEnvelope() });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual(REJECTED);
    await setActive(t.h, t.project, disabled, true);
    expect((await send(t.h, envelopePath(t.project, disabled), { body: eventEnvelope() })).status).toBe(200);
  });

  it('lets a new key in at once, even right after it was refused as unknown, and refuses a deleted one at once', async () => {
    const publicKey = 'a1'.repeat(16);
    expect((await send(t.h, envelopePath(t.project, publicKey), { body: eventEnvelope() })).status).toBe(403);
    const created = await t.h.services.keys.create(t.project, { public: publicKey, useCase: 'user' }, TEST_ACTOR);
    if (!created.ok) throw new Error('create failed');
    expect((await send(t.h, envelopePath(t.project, publicKey), { body: eventEnvelope() })).status).toBe(200);
    await t.h.services.keys.remove(t.project, created.key, TEST_ACTOR);
    expect((await send(t.h, envelopePath(t.project, publicKey), { body: eventEnvelope() })).status).toBe(403);
  });
});

describe('bodies', () => {
  it('reads a chunked body without a content type, as @sentry/node sends it', async () => {
    const id = eventId();
    const res = await send(t.h, envelopePath(t.project, t.key), { body: eventEnvelope(id), chunked: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id });
  });

  it('decodes gzip, deflate (zlib and raw) and brotli bodies', async () => {
    for (const [encoding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const id = eventId();
      const res = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': encoding }, body: encode(eventEnvelope(id)) });
      expect({ encoding, status: res.status, body: res.json }).toEqual({ encoding, status: 200, body: { id } });
    }
  });

  it('answers 400 to a body that does not decode as it claims', async () => {
    const res = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'gzip' }, body: 'plainly not gzip' });
    expect(res.status).toBe(400);
    expect(res.json.detail).toBe('invalid request body');
    const unknown = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'compress' }, body: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ detail: 'invalid request body', causes: ['unsupported content encoding "compress"'] });
  });

  it('answers 413 to a body over the limit, before and after decompression', async () => {
    const big = `${eventEnvelope().trimEnd()}${' '.repeat(70 * 1024)}\n`;
    const raw = await send(t.h, envelopePath(t.project, t.key), { body: big });
    expect(raw.status).toBe(413);
    expect(raw.json.detail).toBe('request body too large');
    const chunked = await send(t.h, envelopePath(t.project, t.key), { body: big, chunked: true });
    expect(chunked.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const inflated = await send(t.h, envelopePath(t.project, t.key), { headers: { 'content-encoding': 'gzip' }, body: bomb });
    expect(inflated.status).toBe(413);
    expect(inflated.json).toEqual({ detail: 'request body too large', causes: ['the decompressed body exceeds 65536 bytes'] });
  });

  it('answers 400 to an empty or malformed envelope', async () => {
    expect((await send(t.h, envelopePath(t.project, t.key), { body: '' })).json).toEqual({ detail: 'empty request body' });
    for (const [body, cause] of [
      ['not json\n', 'invalid envelope header'],
      ['{"event_id":"nope"}\n', 'invalid envelope header'],
      ['{}\n{"no":"type"}\n{}\n', 'invalid item header'],
      ['{}\n{"type":"event","length":100}\n{}\n', 'unexpected end of file'],
    ]) {
      const res = await send(t.h, envelopePath(t.project, t.key), { body });
      expect({ body, status: res.status, json: res.json }).toEqual({ body, status: 400, json: { detail: 'invalid event envelope', causes: [cause] } });
    }
  });

  it('answers {} to an envelope without an event id', async () => {
    const res = await send(t.h, envelopePath(t.project, t.key), { body: sessionEnvelope() });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
  });
});

describe('the other DSN endpoints', () => {
  const q = () => `?sentry_key=${t.key.public_key}`;

  it('store: JSON, legacy base64+zlib, the legacy path without a project, and bad JSON', async () => {
    const id = eventId();
    const json = await send(t.h, `/api/${t.project.id}/store/${q()}`, { body: JSON.stringify({ event_id: id, message: 'x' }) });
    expect(json.status).toBe(200);
    expect(json.json).toEqual({ id });
    const legacy = await send(t.h, `/api/${t.project.id}/store/${q()}`, { body: deflateSync(JSON.stringify({ message: 'old sdk' })).toString('base64') });
    expect(legacy.status).toBe(200);
    expect(legacy.json.id).toMatch(/^[0-9a-f]{32}$/);
    expect((await send(t.h, `/api/store/${q()}`, { body: '{"message":"no project"}' })).status).toBe(200);
    const bad = await send(t.h, `/api/${t.project.id}/store/${q()}`, { body: '{"message":' });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toBe('invalid JSON data');
  });

  it('security, csp-report and nel: 200 with no body', async () => {
    const csp = JSON.stringify({ 'csp-report': { 'document-uri': 'https://example.com', 'violated-directive': 'script-src' } });
    for (const path of ['security', 'csp-report']) {
      const res = await send(t.h, `/api/${t.project.id}/${path}/${q()}`, { headers: { 'content-type': 'application/csp-report' }, body: csp });
      expect({ path, status: res.status, text: res.text }).toEqual({ path, status: 200, text: '' });
    }
    expect((await send(t.h, `/api/${t.project.id}/nel/${q()}`, { body: '[{"type":"network-error"}]' })).status).toBe(200);
    expect((await send(t.h, `/api/${t.project.id}/nel/${q()}`, { body: '[' })).status).toBe(400);
  });

  it('minidump: multipart or raw, answered with the hyphenated event id', async () => {
    const boundary = 'XyZ';
    const id = eventId();
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="sentry[event_id]"\r\n\r\n${id}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="a.dmp"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from('MDMP\x93\xa7\x00\x00rest of the dump', 'latin1'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const ct = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const res = await send(t.h, `/api/${t.project.id}/minidump/${q()}`, { headers: ct, body: multipart });
    expect(res.status).toBe(200);
    expect(res.text).toBe(`${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`);
    expect((await send(t.h, `/api/${t.project.id}/minidump/${q()}`, { body: Buffer.from('MDMPraw') })).status).toBe(200);
    const missing = await send(t.h, `/api/${t.project.id}/minidump/${q()}`, {
      headers: ct,
      body: `--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`,
    });
    expect(missing.json).toEqual({ detail: 'missing minidump' });
    const invalid = await send(t.h, `/api/${t.project.id}/minidump/${q()}`, { body: 'not a dump' });
    expect(invalid.json).toEqual({ detail: 'invalid minidump' });
  });

  it('unreal and playstation: the key in the path or query, a text event id', async () => {
    const unreal = await send(t.h, `/api/${t.project.id}/unreal/${t.key.public_key}/`, { body: Buffer.from([1, 2, 3]) });
    expect(unreal.status).toBe(200);
    expect(unreal.text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await send(t.h, `/api/${t.project.id}/playstation/${q()}`, { body: 'crash' })).status).toBe(200);
  });

  it('cron: GET or POST with the status in the query, 202; a missing status is a 400', async () => {
    const ok = await send(t.h, `/api/${t.project.id}/cron/nightly/${t.key.public_key}/?status=ok`, { method: 'GET' });
    expect(ok.status).toBe(202);
    expect((await send(t.h, `/api/${t.project.id}/cron/nightly/${q()}&status=in_progress`, { body: '' })).status).toBe(202);
    const missing = await send(t.h, `/api/${t.project.id}/cron/nightly/${t.key.public_key}/`, { method: 'GET' });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ detail: 'invalid query string', causes: ['missing field `status`'] });
  });

  it('otlp and attachments: accepted after authentication', async () => {
    // 200 with no body, as Relay since getsentry/relay#5645 (the OTLP spec's status), with or
    // without the trailing slash; JSON or protobuf, anything else a bodiless 415.
    for (const path of ['otlp/v1/traces/', 'integration/otlp/v1/traces/', 'integration/otlp/v1/traces', 'integration/otlp/v1/logs', 'integration/otlp/v1/logs/']) {
      for (const type of ['application/x-protobuf', 'application/json', 'application/json; charset=utf-8']) {
        const res = await send(t.h, `/api/${t.project.id}/${path}${q()}`, { headers: { 'content-type': type }, body: Buffer.from([0x0a, 0x00]) });
        expect({ path, type, status: res.status, text: res.text }).toEqual({ path, type, status: 200, text: '' });
      }
      for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
        const refused = await send(t.h, `/api/${t.project.id}/${path}${q()}`, { headers, body: 'x' });
        expect({ path, status: refused.status, text: refused.text }).toEqual({ path, status: 415, text: '' });
      }
    }
    const att = await send(t.h, `/api/${t.project.id}/events/${eventId()}/attachments/${q()}`, { body: 'x' });
    expect(att.status).toBe(201);
    expect((await send(t.h, `/api/${t.project.id}/otlp/v1/traces/`, { body: 'x' })).status).toBe(401);
  });
});

describe("Relay's CORS", () => {
  it('answers a preflight for any origin', async () => {
    const res = await send(t.h, `/api/${t.project.id}/envelope/`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-sentry-auth' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-sentry-auth');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-encoding');
    expect(res.headers.get('access-control-max-age')).toBe('3600');
  });

  it('exposes the rate-limit headers on answers and errors alike', async () => {
    for (const path of [envelopePath(t.project, t.key), `/api/${t.project.id}/envelope/`]) {
      const res = await send(t.h, path, { headers: { origin: 'https://app.example.com' }, body: eventEnvelope() });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toBe('x-sentry-error,x-sentry-rate-limits,retry-after');
    }
  });
});

describe('every DSN endpoint authenticates alike', () => {
  /** Method, path (with any query it needs besides the key) and a body each endpoint takes. */
  const endpoints = (pid: number): [string, string, string | undefined][] => [
    ['POST', `/api/${pid}/envelope/`, '{}\n'],
    ['POST', `/api/${pid}/store/`, '{}'],
    ['POST', `/api/${pid}/security/`, '{}'],
    ['POST', `/api/${pid}/csp-report/`, '{}'],
    ['POST', `/api/${pid}/nel/`, '[]'],
    ['POST', `/api/${pid}/minidump/`, 'MDMP'],
    ['POST', `/api/${pid}/playstation/`, 'crash'],
    ['POST', `/api/${pid}/events/${eventId()}/attachments/`, 'x'],
    ['GET', `/api/${pid}/cron/nightly/?status=ok`, undefined],
    ['POST', `/api/${pid}/otlp/v1/traces/`, 'x'],
    ['POST', `/api/${pid}/integration/otlp/v1/logs/`, 'x'],
  ];

  it('refuses missing, malformed, unknown, disabled and foreign keys the same way everywhere', async () => {
    const disabled = await createKey(t.h, t.project);
    await setActive(t.h, t.project, disabled, false);
    const cases: [string, number, string | undefined, number, unknown][] = [
      ['missing', t.project.id, undefined, 401, MISSING],
      ['malformed', t.project.id, 'short', 400, { detail: 'bad sentry DSN public key', causes: ['invalid project key'] }],
      ['unknown', t.project.id, 'd'.repeat(32), 403, REJECTED],
      ['disabled', t.project.id, disabled.public_key, 403, REJECTED],
      ['other project', t.other.id, t.key.public_key, 403, REJECTED],
      ['accepted', t.project.id, t.key.public_key, 0, undefined],
    ];
    for (const [name, pid, publicKey, status, body] of cases) {
      for (const [method, path, payload] of endpoints(pid)) {
        const query = publicKey === undefined ? '' : `${path.includes('?') ? '&' : '?'}sentry_key=${publicKey}`;
        // OTLP takes JSON or protobuf only (else 415, as Relay).
        const headers = path.includes('/otlp/') ? { 'content-type': 'application/x-protobuf' } : undefined;
        const res = await send(t.h, `${path}${query}`, { method, body: payload, headers });
        if (status === 0) expect({ path, status: res.status < 300 }).toEqual({ path, status: true });
        else expect({ path, name, status: res.status, body: res.json }).toEqual({ path, name, status, body });
      }
    }
  });
});

describe('which URLs are DSN endpoints (not access-logged)', () => {
  it('tells them from the management API', () => {
    for (const url of ['/api/1/envelope/', '/api/42/store/?sentry_key=x', '/api/store/', '/api/01/envelope/']) expect(isIngestUrl(url), url).toBe(true);
    for (const url of ['/api/0/', '/api/0/projects/a/b/keys/', '/healthz', '/api/', '/metrics', '/js-sdk-loader/x.js']) expect(isIngestUrl(url), url).toBe(false);
  });
});
