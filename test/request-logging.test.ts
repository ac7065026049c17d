/**
 * The request log an operator reads: one JSON line per request with its id, the route pattern,
 * the path (never the query string), the status and the duration; no credential ever; load
 * balancer probes only at debug; the request id a proxy sent is kept and echoed back.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loggerOptions } from '../src/logging.ts';
import { startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  route?: string | null;
  path?: string;
  statusCode?: number;
  durationMs?: number;
  [key: string]: unknown;
}

const lines: Line[] = [];
const raw: string[] = [];

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const project = await seed.project(org, 'web');
  const token = await seed.caller(org, 'owner@acme.example');
  const publicKey = (await seed.defaultKey(project)).public_key;
  // A second app over the same services, logging at debug into memory with production's settings.
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Line);
      }
      done();
    },
  });
  const app = await buildApp({ config: h.config, services: h.services, logger: { ...(loggerOptions({ ...h.config, logLevel: 'debug' }) as object), stream } });
  onCleanup(() => app.close());
  await app.ready();
  return { app, token, publicKey };
});

const completed = (reqId: string) => lines.filter((l) => l.reqId === reqId && l.msg === 'request completed');

describe('request logs', () => {
  it('write one line per request: id, method, route pattern, path, status and duration', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/0/projects/acme/web/keys/${t.publicKey}/?sentry_key=${t.publicKey}`, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode).toBe(200);
    const reqId = res.headers['x-request-id'] as string;
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const mine = lines.filter((l) => l.reqId === reqId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      method: 'GET',
      route: '/api/0/projects/:org/:project/keys/:key_id/',
      path: `/api/0/projects/acme/web/keys/${t.publicKey}/`,
      statusCode: 200,
    });
    expect(mine[0]!.durationMs).toBeGreaterThan(0);
  });

  it('never hold a credential, wherever the client put it', async () => {
    const secret = 'sntryu_' + 'cd'.repeat(32);
    await t.app.inject({ method: 'GET', url: `/api/0/?sentry_secret=${secret}`, headers: { authorization: `Bearer ${secret}`, cookie: `session=${secret}`, 'x-sentry-auth': `Sentry sentry_key=${secret}` } });
    await t.app.inject({ method: 'POST', url: '/api/0/projects/acme/web/keys/', headers: { authorization: `Bearer ${t.token}` }, payload: { name: secret } });
    const text = raw.join('\n');
    expect(text).toContain('"statusCode":401');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(t.token);
  });

  it('keep the request id a proxy sent, and make one up for a malformed one', async () => {
    const kept = await t.app.inject({ method: 'GET', url: '/api/0/', headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(kept.headers['x-request-id']).toBe('lb-1234.abc');
    expect(completed('lb-1234.abc')).toHaveLength(1);
    const replaced = await t.app.inject({ method: 'GET', url: '/api/0/', headers: { 'x-request-id': 'no spaces {allowed}' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('name no route for an unknown path, and log it at info', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nowhere' });
    const [line] = completed(res.headers['x-request-id'] as string);
    expect(line).toMatchObject({ level: 30, route: null, path: '/nowhere', statusCode: 404 });
  });

  it('log load balancer probes at debug only, unless they fail', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const [line] = completed(res.headers['x-request-id'] as string);
    expect(line).toMatchObject({ level: 20, route: '/healthz', statusCode: 200 });
  });
});
