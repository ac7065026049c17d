/**
 * Key health (issue 20): which keys are used and which are refused and why, exact under load and
 * summed over two instances; what SDKs report dropping themselves (client reports from the real
 * @sentry/node); a signed webhook when a dead key is still in use, at most once an hour across
 * instances; and `clientkeys keys check`, which says in one line why a DSN works or does not.
 */
import { createServer, type AddressInfo } from 'node:net';
import * as Sentry from '@sentry/node';
import { describe, expect, it } from 'vitest';
import { signature } from '../src/ingest/key-alerts.ts';
import type { ProjectKeyRow, ProjectRow } from '../src/storage/schema.ts';
import { cli, cliAsync } from './helpers/cli.ts';
import { RecordingBackend } from './helpers/gateway.ts';
import { ingestConfig, request, Seed, startHarness, TEST_ACTOR, type Harness } from './helpers/harness.ts';
import { envelopePath, eventEnvelope, send } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

/** A loopback port nothing listens on: one the system just gave out and took back. */
const closedPort = async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

const health = async (h: Harness, token: string, project: ProjectRow, key: ProjectKeyRow) => {
  const res = await request(h, 'GET', `/api/0/projects/acme/${project.slug}/keys/${key.public_key}/health/`, { token });
  expect(res.status).toBe(200);
  return res.body as { lastAccepted: string | null; lastRefused: string | null; refused: Record<string, number>; clientDiscarded: { reason: string; category: string; quantity: number }[] };
};

const ZERO = { disabled: 0, expired: 0, project_mismatch: 0, origin: 0, ip: 0, rate_limited: 0, too_large: 0, invalid: 0, queue_full: 0 };

describe('health counts, exact under load, on two instances', () => {
  const t = suiteFixture(async (onCleanup) => {
    const a = await startHarness({ ingest: ingestConfig({ maxBodyBytes: 4096 }), trustedProxies: ['127.0.0.1'] });
    onCleanup(() => a.close());
    const b = await startHarness({ ingest: ingestConfig({ maxBodyBytes: 4096 }), trustedProxies: ['127.0.0.1'] }, { shared: a.database });
    onCleanup(() => b.close());
    const seed = new Seed(a.services);
    const org = await seed.org('acme');
    const project = await seed.project(org, 'web');
    const other = await seed.project(org, 'api');
    const token = await seed.caller(org, 'owner@acme.example');
    return { a, b, project, other, token };
  });

  const create = async (policy: Record<string, unknown> = {}) => {
    const created = await t.a.services.keys.create(t.project, { useCase: 'user', name: 'k', policy }, TEST_ACTOR);
    if (!created.ok) throw new Error('not created');
    return created.key;
  };

  it('starts with every reason at 0 and no times', async () => {
    const key = await create();
    expect(await health(t.a, t.token, t.project, key)).toEqual({ lastAccepted: null, lastRefused: null, refused: ZERO, clientDiscarded: [] });
  });

  it('gives exactly the counts of 10,000 generated requests mixing every refusal reason, summed over both instances', async () => {
    const keys = {
      accepted: await create(),
      disabled: await create(),
      expired: await create(),
      project_mismatch: await create(),
      origin: await create({ allowedOrigins: ['https://app.test'] }),
      ip: await create({ allowedIps: ['10.0.0.0/8'] }),
      rate_limited: await create({ quotas: [{ categories: ['error'], count: 0, window: 3600 }] }),
      too_large: await create(),
      invalid: await create(),
    };
    await t.a.services.keys.update(t.project, keys.disabled, { isActive: false }, TEST_ACTOR);
    await t.a.services.rotation.rotate(t.project, keys.expired, 0, TEST_ACTOR);
    await new Promise((resolve) => setTimeout(resolve, 500));
    type Kind = keyof typeof keys;
    const requestFor = (kind: Kind): [string, { body: string; headers?: Record<string, string> }] => {
      const key = keys[kind];
      switch (kind) {
        case 'project_mismatch':
          return [envelopePath(t.other, key), { body: eventEnvelope() }];
        case 'origin':
          return [envelopePath(t.project, key), { body: eventEnvelope(), headers: { origin: 'https://evil.test' } }];
        case 'ip':
          return [envelopePath(t.project, key), { body: eventEnvelope(), headers: { 'x-forwarded-for': '192.0.2.1' } }];
        case 'too_large':
          return [envelopePath(t.project, key), { body: `${eventEnvelope()}${'x'.repeat(5000)}` }];
        case 'invalid':
          return [envelopePath(t.project, key), { body: '{not an envelope' }];
        default:
          return [envelopePath(t.project, key), { body: eventEnvelope() }];
      }
    };
    const kinds = Object.keys(keys) as Kind[];
    // A deterministic mix: request i is of kind (i * 7) % 9, so every kind gets a different share.
    const plan = Array.from({ length: 10_000 }, (_, i) => kinds[(i * 7 + Math.floor(i / 9)) % kinds.length]!);
    const expected = Object.fromEntries(kinds.map((k) => [k, plan.filter((p) => p === k).length])) as Record<Kind, number>;
    let next = 0;
    const statuses = new Map<Kind, Set<number>>();
    await Promise.all(
      Array.from({ length: 16 }, async (_, lane) => {
        while (next < plan.length) {
          const index = next++;
          const kind = plan[index]!;
          const [path, options] = requestFor(kind);
          const res = await send(lane % 2 ? t.b : t.a, path, options);
          (statuses.get(kind) ?? statuses.set(kind, new Set()).get(kind)!).add(res.status);
        }
      }),
    );
    expect(Object.fromEntries([...statuses].map(([k, s]) => [k, [...s].sort()]))).toEqual({
      accepted: [200],
      disabled: [403],
      expired: [403],
      project_mismatch: [403],
      origin: [403],
      ip: [403],
      rate_limited: [429],
      too_large: [413],
      invalid: [400],
    });
    await t.a.services.ingest.flush();
    await t.b.services.ingest.flush();
    for (const kind of kinds) {
      const report = await health(t.a, t.token, t.project, keys[kind]);
      if (kind === 'accepted') {
        expect(report.refused).toEqual(ZERO);
        expect(report.lastAccepted).toMatch(/^\d{4}-/);
        expect(report.lastRefused).toBeNull();
      } else {
        expect({ kind, refused: report.refused }).toEqual({ kind, refused: { ...ZERO, [kind]: expected[kind] } });
        expect(report.lastRefused).toMatch(/^\d{4}-/);
      }
    }
    // The other instance answers the same from the database.
    expect((await health(t.b, t.token, t.project, keys.ip)).refused.ip).toBe(expected.ip);
  });
});

describe("what SDKs report dropping (client reports from the real @sentry/node)", () => {
  it('shows up in clientDiscarded', async () => {
    const h = await startHarness();
    try {
      const seed = new Seed(h.services);
      const project = await seed.project(await seed.org('acme'), 'web');
      const created = await h.services.keys.create(project, { useCase: 'user', rateLimit: { count: 1, window: 3600 } }, TEST_ACTOR);
      if (!created.ok) throw new Error('not created');
      const key = created.key;
      Sentry.init({ dsn: `http://${key.public_key}@127.0.0.1:${new URL(h.baseUrl).port}/${project.id}` });
      // The first is accepted, the second answered 429; the SDK then drops the rest itself and says so.
      for (let i = 0; i < 5; i++) {
        Sentry.captureException(new Error(`boom ${i}`));
        await Sentry.flush(2000);
      }
      await Sentry.close(2000);
      await h.services.ingest.flush();
      const report = await h.services.keyHealth.health(key);
      expect(report.clientDiscarded).toContainEqual({ reason: 'ratelimit_backoff', category: 'error', quantity: 3 });
      expect(report.refused.rate_limited).toBe(1);
    } finally {
      await h.close();
    }
  });
});

describe('an alert when a disabled key is still in use', () => {
  it('arrives once, signed, within seconds, and not again within the hour, whichever instance sees the key', async () => {
    const webhook = new RecordingBackend();
    const url = `${await webhook.start()}/hooks/clientkeys`;
    const secret = 'a webhook secret';
    const config = { ingest: ingestConfig({ alertWebhookUrl: url, alertWebhookSecret: secret }) };
    const a = await startHarness(config);
    const b = await startHarness(config, { shared: a.database });
    try {
      const seed = new Seed(a.services);
      const org = await seed.org('acme');
      const project = await seed.project(org, 'web');
      const created = await a.services.keys.create(project, { useCase: 'user', name: 'Mobile app' }, TEST_ACTOR);
      if (!created.ok) throw new Error('not created');
      const key = created.key;
      expect((await send(a, envelopePath(project, key), { body: eventEnvelope() })).status).toBe(200);
      await a.services.keys.update(project, key, { isActive: false }, TEST_ACTOR);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < 20; i++) expect((await send(i % 2 ? b : a, envelopePath(project, key), { body: eventEnvelope() })).status).toBe(403);
      const [alert] = await webhook.waitFor(1, 60_000);
      expect(alert!.url).toBe('/hooks/clientkeys');
      expect(alert!.headers['x-clientkeys-signature']).toBe(signature(secret, alert!.body.toString()));
      const body = JSON.parse(alert!.body.toString());
      expect(body).toMatchObject({
        type: 'key.used_while_inactive',
        organization: { slug: 'acme' },
        project: { slug: 'web', id: String(project.id) },
        key: { id: key.public_key, name: 'Mobile app' },
        reason: 'disabled',
      });
      expect(Date.parse(body.at)).toBeGreaterThan(Date.now() - 60_000);
      for (let i = 0; i < 20; i++) await send(i % 2 ? a : b, envelopePath(project, key), { body: eventEnvelope() });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(webhook.received).toHaveLength(1);
    } finally {
      await b.close();
      await a.close();
      await webhook.stop();
    }
  });

  it('says when a key is rate limited, at most once per window and quota', async () => {
    const webhook = new RecordingBackend();
    const url = await webhook.start();
    const h = await startHarness({ ingest: ingestConfig({ alertWebhookUrl: url }) });
    try {
      const seed = new Seed(h.services);
      const project = await seed.project(await seed.org('acme'), 'web');
      const created = await h.services.keys.create(project, { useCase: 'user', policy: { quotas: [{ categories: ['error'], count: 1, window: 3600 }] } }, TEST_ACTOR);
      if (!created.ok) throw new Error('not created');
      for (let i = 0; i < 10; i++) await send(h, envelopePath(project, created.key), { body: eventEnvelope() });
      const [alert] = await webhook.waitFor(1);
      expect(JSON.parse(alert!.body.toString())).toMatchObject({ type: 'key.rate_limited', quota: { categories: ['error'], count: 1, window: 3600 } });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(webhook.received).toHaveLength(1);
      expect(alert!.headers['x-clientkeys-signature']).toBeUndefined();
    } finally {
      await h.close();
      await webhook.stop();
    }
  });
});

describe('clientkeys keys check', () => {
  const t = suiteFixture(async (onCleanup) => {
    const h = await startHarness({}, { reachablePublicUrl: true });
    onCleanup(() => h.close());
    const seed = new Seed(h.services);
    const project = await seed.project(await seed.org('acme'), 'web');
    const env = { DATABASE_URL: h.databaseUrl, PUBLIC_URL: h.config.publicUrl };
    return { h, project, env };
  });

  const dsnOf = (key: ProjectKeyRow, projectId = t.project.id) => `http://${key.public_key}@${new URL(t.h.baseUrl).host}/${projectId}`;
  const newKey = async (input: Record<string, unknown> = {}) => {
    const created = await t.h.services.keys.create(t.project, { useCase: 'user', ...input }, TEST_ACTOR);
    if (!created.ok) throw new Error('not created');
    return created.key;
  };

  it('says accepted and exits 0 for a working DSN, with --json too', async () => {
    const key = await newKey();
    const ok = await cliAsync(['keys', 'check', dsnOf(key)], t.env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^accepted: event [0-9a-f]{32} went through\n$/);
    const json = JSON.parse((await cliAsync(['keys', 'check', dsnOf(key), '--json'], t.env)).stdout);
    expect(json).toMatchObject({ accepted: true, status: 200, verdict: 'accepted' });
  });

  it('explains each refusal in one line and exits 1', async () => {
    const disabled = await newKey();
    await t.h.services.keys.update(t.project, disabled, { isActive: false }, TEST_ACTOR);
    const rotated = await newKey();
    await t.h.services.rotation.rotate(t.project, rotated, 0, TEST_ACTOR);
    const limited = await newKey({ policy: { quotas: [{ categories: ['error'], count: 0, window: 60 }] } });
    const browsers = await newKey({ policy: { allowedOrigins: ['https://app.test'] } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = await closedPort();
    const cases: [string[], RegExp][] = [
      [[dsnOf(disabled)], /^refused: the key is disabled since \d{4}-\d\d-\d\dT[\d:.]+Z \(enable it, or use another key\)$/],
      [[dsnOf(rotated)], /^refused: the key was rotated out and stopped working at \S+; its successor is [0-9a-f]{32}$/],
      [[`http://${'f'.repeat(32)}@${new URL(t.h.baseUrl).host}/${t.project.id}`], /^refused: no key f{32} exists here/],
      [[dsnOf(disabled, t.project.id + 1000)], /^refused: key [0-9a-f]{32} belongs to project \d+, not \d+/],
      [[dsnOf(limited)], /^rate limited until \d{4}-\S+ \(\d+:error:key:key_quota\)$/],
      [[dsnOf(browsers), '--origin', 'https://evil.test'], /^refused: origin not allowed \(https:\/\/evil\.test\)$/],
      [[`http://${'a'.repeat(32)}@127.0.0.1:${closed}/1`], new RegExp(`^could not reach http://127\\.0\\.0\\.1:${closed}/api/1/envelope/ \\(ECONNREFUSED\\)$`)],
    ];
    for (const [args, message] of cases) {
      const res = await cliAsync(['keys', 'check', ...args], t.env);
      expect({ args, code: res.code }).toEqual({ args, code: 1 });
      expect(res.stdout.trim()).toMatch(message);
    }
    expect(cli(['keys', 'check', 'not a dsn'], t.env).stderr).toMatch(/^clientkeys: Enter a DSN/);
  });
});
