/**
 * The DSN endpoints served ahead of Fastify (routes/ingest-handler.ts) answer as Fastify's routes
 * for them do: the same bytes whether a request comes through the server's front listener or
 * through Fastify (`inject`), the request id Fastify would give, and Fastify's 503 once the server
 * is closing, on a connection that is still open.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startAcme } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, send } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

/** Headers that differ between any two answers (or between a socket and `inject`'s). */
const PER_ANSWER = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'transfer-encoding']);

function comparable(status: number, headers: Iterable<[string, string]>, body: string) {
  const kept = [...headers].filter(([name]) => !PER_ANSWER.has(name.toLowerCase())).map(([n, v]) => [n.toLowerCase(), v] as const);
  // Event ids are the request's own; make them comparable.
  return { status, headers: Object.fromEntries(kept.sort()), body: body.replace(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/g, '<id>') };
}

describe('DSN endpoints ahead of Fastify', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { h, ...acme } = await startAcme();
    onCleanup(() => h.close());
    const key = await createKey(h, acme.project);
    return { h, acme, key };
  });

  it('answer a socket as Fastify answers inject, for every kind of answer', async () => {
    const p = `/api/${t.acme.project.id}`;
    const q = `?sentry_key=${t.key.public_key}`;
    const cases: { method: string; url: string; headers?: Record<string, string>; body?: string }[] = [
      { method: 'POST', url: envelopePath(t.acme.project, t.key), body: eventEnvelope() },
      { method: 'POST', url: `${p}/envelope/`, body: eventEnvelope() },
      { method: 'POST', url: `${p}/envelope/?sentry_key=${'f'.repeat(32)}`, body: eventEnvelope() },
      { method: 'POST', url: `${p}/envelope/${q}`, body: 'not an envelope' },
      { method: 'POST', url: `${p}/envelope/${q}`, headers: { 'content-encoding': 'br' }, body: 'zz' },
      { method: 'POST', url: `${p}/store/${q}`, headers: { 'content-type': 'application/json' }, body: '{"message":"x"}' },
      { method: 'POST', url: `${p}/minidump/${q}`, headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b\r\ncontent-disposition: form-data; name="upload_file_minidump"\r\n\r\nMDMP\r\n--b--\r\n' },
      { method: 'GET', url: `${p}/cron/nightly/${t.key.public_key}/?status=ok` },
      { method: 'OPTIONS', url: `${p}/envelope/`, headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } },
      { method: 'POST', url: `${p}/nothing/${q}`, body: '{}' },
    ];
    for (const c of cases) {
      const viaSocket = await fetch(`${t.h.baseUrl}${c.url}`, { method: c.method, headers: c.headers, body: c.body });
      const socketAnswer = comparable(viaSocket.status, viaSocket.headers, await viaSocket.text());
      const viaFastify = await t.h.app.inject({ method: c.method as 'POST', url: c.url, headers: c.headers, payload: c.body });
      const injectAnswer = comparable(viaFastify.statusCode, Object.entries(viaFastify.headers).map(([n, v]) => [n, String(v)]), viaFastify.body);
      expect(socketAnswer, `${c.method} ${c.url}`).toEqual(injectAnswer);
    }
  });

  it('carry the request id a proxy sent, or one of their own for a malformed one', async () => {
    const kept = await send(t.h, envelopePath(t.acme.project, t.key), { body: eventEnvelope(), headers: { 'x-request-id': 'lb-42.abc' } });
    expect(kept.status).toBe(200);
    expect(kept.headers.get('x-request-id')).toBe('lb-42.abc');
    const replaced = await send(t.h, envelopePath(t.acme.project, t.key), { body: eventEnvelope(), headers: { 'x-request-id': 'no spaces {allowed}' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await send(t.h, envelopePath(t.acme.project, 'f'.repeat(32)), { body: eventEnvelope() });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('a DSN request arriving while the server closes', () => {
  it('is answered 503 as Fastify answers, after the request in flight on its connection', async () => {
    const { h, project } = await startAcme();
    const key = await createKey(h, project);
    const body = eventEnvelope();
    const length = Buffer.byteLength(body);
    const head = (extra = '') =>
      `POST ${envelopePath(project, key)} HTTP/1.1\r\nhost: x\r\ncontent-length: ${length}\r\n${extra}\r\n`;
    const { port } = new URL(h.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    // The first request's key is checked and its body is still arriving when the close begins.
    socket.write(head() + body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = h.app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(body.slice(10) + head() + body);
    await ended;
    await closing;
    await h.close();
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((a) => a.slice(0, 12))).toEqual(['HTTP/1.1 200', 'HTTP/1.1 503']);
    expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(answers[1]?.endsWith('\r\n\r\n{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}')).toBe(true);
  });
});
