/**
 * A key's policy beyond Sentry (issue 19): quotas per data category counted as Relay counts items,
 * a refused item spending no quota, partly limited envelopes delivered without the limited items,
 * exact 429 headers; IP rules on the client address; origin rules on top of the project's; bad
 * input refused with field errors; a project's defaults for new keys; the CLI.
 */
import * as Sentry from '@sentry/node';
import { describe, expect, it } from 'vitest';
import type { ProjectKeyRow } from '../src/storage/schema.ts';
import { cli } from './helpers/cli.ts';
import { backendDsn, queueDrained, RecordingBackend } from './helpers/gateway.ts';
import { ingestConfig, request, Seed, startAcme, startHarness, TEST_ACTOR } from './helpers/harness.ts';
import { envelopePath, eventEnvelope, eventId, send } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, org, project, owner } = await startAcme({ trustedProxies: ['127.0.0.1'] });
  onCleanup(() => h.close());
  return { h, org, project, owner };
});

const keysPath = '/api/0/projects/acme/web/keys/';

async function keyWith(policy: Record<string, unknown>): Promise<ProjectKeyRow> {
  const res = await request(t.h, 'POST', keysPath, { token: t.owner, body: { name: 'policy', ...policy } });
  expect(res.status, res.text).toBe(201);
  return (await t.h.services.keys.find(t.project.id, res.body.id, true))!;
}

const item = (header: Record<string, unknown>, payload: string) => `${JSON.stringify({ ...header, length: Buffer.byteLength(payload) })}\n${payload}\n`;
const envelope = (...items: string[]) => `{"event_id":"${eventId()}"}\n${items.join('')}`;
const anEvent = () => item({ type: 'event' }, '{"message":"e"}');
const aTransaction = (spans = 0) => item({ type: 'transaction' }, JSON.stringify({ type: 'transaction', spans: Array.from({ length: spans }, (_, i) => ({ span_id: String(i) })) }));
const post = (key: ProjectKeyRow, body: string, headers: Record<string, string> = {}) => send(t.h, envelopePath(t.project, key), { body, headers });

describe('the policy fields over the API', () => {
  it('shows every field after Sentry\'s, takes them on create and update, and a given list replaces the key\'s', async () => {
    const res = await request(t.h, 'POST', keysPath, { token: t.owner, body: { name: 'p', quotas: [{ categories: ['transaction', 'span'], count: 1000, window: 60 }], allowedIps: ['10.0.0.0/8'], serverOnly: true } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).slice(-6)).toEqual(['quotas', 'allowedIps', 'deniedIps', 'allowedOrigins', 'requireOrigin', 'serverOnly']);
    expect(res.body).toMatchObject({ quotas: [{ categories: ['transaction', 'span'], count: 1000, window: 60 }], allowedIps: ['10.0.0.0/8'], deniedIps: [], allowedOrigins: [], requireOrigin: false, serverOnly: true });
    const updated = await request(t.h, 'PUT', `${keysPath}${res.body.id}/`, { token: t.owner, body: { allowedIps: ['192.0.2.0/24', '2001:db8::/32'], requireOrigin: true } });
    expect(updated.body).toMatchObject({ quotas: [{ categories: ['transaction', 'span'] }], allowedIps: ['192.0.2.0/24', '2001:db8::/32'], requireOrigin: true, serverOnly: true });
    const cleared = await request(t.h, 'PUT', `${keysPath}${res.body.id}/`, { token: t.owner, body: { quotas: [], allowedIps: [] } });
    expect(cleared.body).toMatchObject({ quotas: [], allowedIps: [] });
  });

  it('refuses bad input with field errors and writes nothing', async () => {
    const key = await keyWith({});
    const cases: [Record<string, unknown>, unknown][] = [
      [{ quotas: [{ categories: ['errors'], count: 1, window: 60 }] }, { quotas: { 0: { categories: { 0: ['"errors" is not a valid choice.'] } } } }],
      [{ quotas: [{ categories: [], count: 1, window: 60 }] }, { quotas: { 0: { categories: ['Name at least one data category.'] } } }],
      [{ quotas: [{ categories: ['error'], count: -1, window: 60 }] }, { quotas: { 0: { count: ['Ensure this value is greater than or equal to 0.'] } } }],
      [{ quotas: [{ categories: ['error'], count: 1, window: 86_401 }] }, { quotas: { 0: { window: ['Ensure this value is less than or equal to 86400.'] } } }],
      [{ quotas: Array(11).fill({ categories: ['error'], count: 1, window: 60 }) }, { quotas: ['Ensure this field has no more than 10 elements.'] }],
      [{ allowedIps: ['10.0.0.0/33'] }, { allowedIps: { 0: ['10.0.0.0/33 is not an IP address or CIDR.'] } }],
      [{ deniedIps: ['example.com'] }, { deniedIps: { 0: ['example.com is not an IP address or CIDR.'] } }],
      [{ allowedIps: Array(101).fill('10.0.0.1') }, { allowedIps: ['Ensure this field has no more than 100 elements.'] }],
      [{ allowedOrigins: ['example.com:8080'] }, { allowedOrigins: { 0: ['example.com:8080 is not an acceptable domain'] } }],
      [{ allowedOrigins: Array(101).fill('example.com') }, { allowedOrigins: ['Ensure this field has no more than 100 elements.'] }],
    ];
    for (const [body, errors] of cases) {
      const res = await request(t.h, 'PUT', `${keysPath}${key.public_key}/`, { token: t.owner, body: { name: 'renamed', ...body } });
      expect({ body: JSON.stringify(body).slice(0, 60), status: res.status, errors: res.body }).toEqual({ body: JSON.stringify(body).slice(0, 60), status: 400, errors });
    }
    expect((await t.h.services.keys.find(t.project.id, key.public_key, true))!).toMatchObject({ label: 'policy', policy: null });
  });
});

describe('quotas, counted as Relay counts', () => {
  it('counts attachments in bytes and answers 429 naming exactly the limited categories, in integer seconds', async () => {
    const key = await keyWith({ quotas: [{ categories: ['attachment'], count: 100, window: 3600 }] });
    const attachment = (bytes: number) => item({ type: 'attachment', filename: 'a.txt' }, 'x'.repeat(bytes));
    expect((await post(key, envelope(attachment(60)))).status).toBe(200);
    const limited = await post(key, envelope(attachment(60)));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-sentry-rate-limits')).toMatch(/^\d+:attachment:key:key_quota$/);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // A refused envelope spent nothing: 40 bytes still fit.
    expect((await post(key, envelope(attachment(40)))).status).toBe(200);
  });

  it('counts item containers by item_count, log bytes in bytes, and the spans inside a transaction', async () => {
    const spans = await keyWith({ quotas: [{ categories: ['span'], count: 10, window: 3600 }] });
    expect((await post(spans, envelope(item({ type: 'span', item_count: 4, content_type: 'application/vnd.sentry.items.span.v2+json' }, '{"items":[]}')))).status).toBe(200);
    // A transaction with 4 child spans is 5 spans: 9 of 10.
    expect((await post(spans, envelope(aTransaction(4)))).status).toBe(200);
    expect((await post(spans, envelope(aTransaction(1)))).status).toBe(429);
    const logs = await keyWith({ quotas: [{ categories: ['log_byte'], count: 50, window: 3600 }] });
    const log = (bytes: number) => item({ type: 'log', item_count: 1, content_type: 'application/vnd.sentry.items.log+json' }, 'l'.repeat(bytes));
    expect((await post(logs, envelope(log(30)))).status).toBe(200);
    expect((await post(logs, envelope(log(30)))).status).toBe(429);
  });

  it('is one counter for every category it names', async () => {
    const key = await keyWith({ quotas: [{ categories: ['transaction', 'span'], count: 3, window: 3600 }] });
    // A transaction is a transaction and a span (its root): 2 of 3.
    expect((await post(key, envelope(aTransaction()))).status).toBe(200);
    expect((await post(key, envelope(item({ type: 'span' }, '{}')))).status).toBe(200);
    expect((await post(key, envelope(item({ type: 'span' }, '{}')))).status).toBe(429);
  });

  it('delivers a partly limited envelope without the limited items, answering 200 with the header; other categories keep flowing', async () => {
    const backend = new RecordingBackend();
    const base = await backend.start();
    const seed = new Seed(t.h.services);
    const routed = await seed.project(t.org, 'routed');
    try {
      await t.h.services.upstreams.set(routed, backendDsn(base, 'b'.repeat(32), 1), TEST_ACTOR);
      const res = await request(t.h, 'POST', '/api/0/projects/acme/routed/keys/', { token: t.owner, body: { quotas: [{ categories: ['transaction'], count: 1, window: 3600 }] } });
      const key = (await t.h.services.keys.find(routed.id, res.body.id, true))!;
      const path = envelopePath(routed, key);
      expect((await send(t.h, path, { body: envelope(aTransaction()) })).status).toBe(200);
      const mixed = await send(t.h, path, { body: envelope(anEvent(), aTransaction()) });
      expect(mixed.status).toBe(200);
      expect(mixed.headers.get('x-sentry-rate-limits')).toMatch(/^\d+:transaction:key:key_quota$/);
      expect((await send(t.h, path, { body: eventEnvelope() })).status).toBe(200);
      expect((await send(t.h, path, { body: envelope(aTransaction()) })).status).toBe(429);
      await queueDrained(t.h);
      const bodies = backend.received.map((r) => r.body.toString());
      expect(bodies).toHaveLength(3);
      expect(bodies[1]).toContain('"type":"event"');
      expect(bodies[1]).not.toContain('"type":"transaction"');
    } finally {
      await backend.stop();
    }
  });

  it('gives back what an earlier quota counted for items a later one refused', async () => {
    const key = await keyWith({
      quotas: [
        { categories: ['error', 'transaction'], count: 2, window: 3600 },
        { categories: ['transaction'], count: 0, window: 3600 },
      ],
    });
    // Each transaction passes the first quota and is refused by the second: the first gets it back.
    for (let i = 0; i < 5; i++) expect((await post(key, envelope(aTransaction()))).status).toBe(429);
    expect((await post(key, eventEnvelope())).status).toBe(200);
    expect((await post(key, eventEnvelope())).status).toBe(200);
    expect((await post(key, eventEnvelope())).status).toBe(429);
  });

  it("adds to Sentry's rateLimit: each refuses what it covers", async () => {
    const key = await keyWith({ rateLimit: { count: 1, window: 3600 }, quotas: [{ categories: ['session'], count: 1, window: 3600 }] });
    const session = () => item({ type: 'session' }, '{"sid":"x","status":"ok"}');
    expect((await post(key, envelope(anEvent(), session()))).status).toBe(200);
    const both = await post(key, envelope(anEvent(), session()));
    expect(both.status).toBe(429);
    expect(both.headers.get('x-sentry-rate-limits')).toMatch(/^\d+:default;error;security:key:key_quota, \d+:session:key:key_quota$/);
  });

  it('admits exactly `count` per window under 50 concurrent senders over two instances (database counters)', async () => {
    const first = await startHarness({ ingest: ingestConfig({ rateLimiter: 'database' }) });
    const second = await startHarness({ ingest: ingestConfig({ rateLimiter: 'database' }) }, { shared: first.database });
    try {
      const seed = new Seed(first.services);
      const p = await seed.project(await seed.org('flood'), 'web');
      const key = (await first.services.keys.create(p, { name: 'q', useCase: 'user', policy: { quotas: [{ categories: ['transaction'], count: 25, window: 3600 }] } }, TEST_ACTOR)) as { ok: true; key: ProjectKeyRow };
      await new Promise((resolve) => setTimeout(resolve, 300));
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, async (_, sender) => {
          const target = sender % 2 ? second : first;
          for (let i = 0; i < 4; i++) statuses.push((await send(target, envelopePath(p, key.key), { body: envelope(aTransaction()) })).status);
        }),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(25);
      expect(statuses.filter((s) => s === 429)).toHaveLength(175);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('IP rules', () => {
  it('use the client address, believing X-Forwarded-For only from TRUSTED_PROXIES, with Relay-shaped refusals that spend no quota', async () => {
    const key = await keyWith({ allowedIps: ['10.0.0.0/8'], deniedIps: ['10.6.6.6'], quotas: [{ categories: ['error'], count: 2, window: 3600 }] });
    const REFUSED = { detail: 'event submission rejected with_reason: IpAddress' };
    expect((await post(key, eventEnvelope(), { 'x-forwarded-for': '10.1.2.3' })).status).toBe(200);
    const outside = await post(key, eventEnvelope(), { 'x-forwarded-for': '192.0.2.7' });
    expect([outside.status, outside.json]).toEqual([403, REFUSED]);
    expect((await post(key, eventEnvelope(), { 'x-forwarded-for': '10.6.6.6' })).status).toBe(403);
    // A forged left-most hop changes nothing: the right-most untrusted one is the client.
    expect((await post(key, eventEnvelope(), { 'x-forwarded-for': '10.1.1.1, 192.0.2.7' })).status).toBe(403);
    // Refusals spent nothing: one error still fits.
    expect((await post(key, eventEnvelope(), { 'x-forwarded-for': '10.9.9.9' })).status).toBe(200);

    const untrusting = await startHarness();
    try {
      const seed = new Seed(untrusting.services);
      const p = await seed.project(await seed.org('plain'), 'web');
      const created = (await untrusting.services.keys.create(p, { useCase: 'user', policy: { allowedIps: ['10.0.0.0/8'] } }, TEST_ACTOR)) as { ok: true; key: ProjectKeyRow };
      expect((await send(untrusting, envelopePath(p, created.key), { body: eventEnvelope(), headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(403);
    } finally {
      await untrusting.close();
    }
  });
});

describe('origin rules', () => {
  const CORS = { detail: 'event submission rejected with_reason: Cors' };

  it("must allow the request together with the project's allowedDomains; unusable origins are refused", async () => {
    const key = await keyWith({ allowedOrigins: ['https://app.test', '*.example.com'] });
    expect((await post(key, eventEnvelope(), { origin: 'https://app.test' })).status).toBe(200);
    expect((await post(key, eventEnvelope(), { referer: 'https://www.example.com/page' })).status).toBe(200);
    expect((await post(key, eventEnvelope())).status).toBe(200);
    for (const origin of ['https://evil.test', 'null', 'chrome-extension://abc']) {
      const res = await post(key, eventEnvelope(), { origin });
      expect([origin, res.status, res.json]).toEqual([origin, 403, CORS]);
    }
    await t.h.services.projects.update(t.project, { allowedDomains: ['app.test'] }, TEST_ACTOR);
    try {
      expect((await post(key, eventEnvelope(), { origin: 'https://app.test' })).status).toBe(200);
      expect((await post(key, eventEnvelope(), { origin: 'https://www.example.com' })).status).toBe(403);
    } finally {
      await t.h.services.projects.update(t.project, { allowedDomains: ['*'] }, TEST_ACTOR);
    }
  });

  it('requireOrigin refuses requests naming no origin; serverOnly refuses browsers', async () => {
    const browsersOnly = await keyWith({ requireOrigin: true });
    expect((await post(browsersOnly, eventEnvelope())).status).toBe(403);
    expect((await post(browsersOnly, eventEnvelope(), { origin: 'https://any.test' })).status).toBe(200);
    const servers = await keyWith({ serverOnly: true });
    expect((await post(servers, eventEnvelope())).status).toBe(200);
    expect((await post(servers, eventEnvelope(), { origin: 'https://any.test' })).json).toEqual(CORS);
  });

  it('takes effect on another instance within a second of the change', async () => {
    const other = await startHarness({}, { shared: t.h.database });
    try {
      const key = await keyWith({});
      expect((await send(other, envelopePath(t.project, key), { body: eventEnvelope(), headers: { origin: 'https://x.test' } })).status).toBe(200);
      expect((await request(t.h, 'PUT', `${keysPath}${key.public_key}/`, { token: t.owner, body: { serverOnly: true } })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await send(other, envelopePath(t.project, key), { body: eventEnvelope(), headers: { origin: 'https://x.test' } })).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe("a project's key defaults", () => {
  it('apply to keys created afterwards, the Default key included, a key\'s own fields overriding them', async () => {
    const team = await new Seed(t.h.services).team(t.org, 'core');
    const created = await request(t.h, 'POST', `/api/0/teams/acme/${team.slug}/projects/`, {
      token: t.owner,
      body: { name: 'defaulted', keyDefaults: { rateLimit: { count: 100, window: 60 }, quotas: [{ categories: ['replay'], count: 10, window: 3600 }], serverOnly: true } },
    });
    expect(created.status).toBe(201);
    const keys = await request(t.h, 'GET', '/api/0/projects/acme/defaulted/keys/', { token: t.owner });
    expect(keys.body).toHaveLength(1);
    expect(keys.body[0]).toMatchObject({ name: 'Default', rateLimit: { count: 100, window: 60 }, quotas: [{ categories: ['replay'], count: 10, window: 3600 }], serverOnly: true });
    const own = await request(t.h, 'POST', '/api/0/projects/acme/defaulted/keys/', { token: t.owner, body: { serverOnly: false, quotas: [] } });
    expect(own.body).toMatchObject({ rateLimit: { count: 100, window: 60 }, quotas: [], serverOnly: false });
    const shown = await request(t.h, 'GET', '/api/0/projects/acme/defaulted/', { token: t.owner });
    expect(shown.body.keyDefaults).toMatchObject({ rateLimit: { count: 100, window: 60 }, serverOnly: true });
    expect((await request(t.h, 'PUT', '/api/0/projects/acme/defaulted/', { token: t.owner, body: { keyDefaults: null } })).body.keyDefaults).toMatchObject({ rateLimit: null, quotas: [], serverOnly: false });
  });

  it('creates a project without its Default key when asked', async () => {
    const team = await new Seed(t.h.services).team(t.org, 'bare');
    expect((await request(t.h, 'POST', `/api/0/teams/acme/${team.slug}/projects/`, { token: t.owner, body: { name: 'keyless', defaultKey: false } })).status).toBe(201);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/keyless/keys/', { token: t.owner })).body).toEqual([]);
  });
});

describe('clientkeys keys set', () => {
  it('sets quotas and rules, replaces lists, clears with none, and refuses bad values naming the option', () => {
    const env = { DATABASE_URL: t.h.databaseUrl, PUBLIC_URL: 'http://testserver' };
    const key = cli(['keys', 'create', 'acme/web', '--json'], env);
    const id = (JSON.parse(key.stdout) as { id: string }).id;
    const set = cli(['keys', 'set', 'acme/web', id, '--quota', 'transaction,span:1000/60', '--quota', 'attachment:1048576/3600', '--allow-ip', '10.0.0.0/8', '--origin', 'https://app.test', '--server-only', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      quotas: [{ categories: ['transaction', 'span'], count: 1000, window: 60 }, { categories: ['attachment'], count: 1048576, window: 3600 }],
      allowedIps: ['10.0.0.0/8'],
      allowedOrigins: ['https://app.test'],
      serverOnly: true,
    });
    const cleared = cli(['keys', 'set', 'acme/web', id, '--quota', 'none', '--no-server-only', '--json'], env);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ quotas: [], allowedIps: ['10.0.0.0/8'], serverOnly: false });
    for (const [args, message] of [
      [['--quota', 'errors:1/60'], /unknown data category errors/],
      [['--quota', 'error:1'], /--quota must be CATEGORY/],
      [['--allow-ip', '10.0.0.0/40'], /--allow-ip: "10\.0\.0\.0\/40" is not an IP address or CIDR/],
      [[], /nothing to set/],
    ] as const) {
      const res = cli(['keys', 'set', 'acme/web', id, ...args], env);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(message);
    }
  });
});

describe('@sentry/node with a key limited on transactions only', () => {
  it('keeps delivering errors while transactions back off', async () => {
    const key = await keyWith({ quotas: [{ categories: ['transaction', 'span'], count: 2, window: 3600 }] });
    Sentry.init({ dsn: `http://${key.public_key}@127.0.0.1:${new URL(t.h.baseUrl).port}/${t.project.id}`, tracesSampleRate: 1 });
    const statuses: { type: string; status: number }[] = [];
    Sentry.getClient()!.on('afterSendEvent', (event, response) => statuses.push({ type: event.type ?? 'error', status: response.statusCode ?? 0 }));
    try {
      for (let round = 0; round < 4; round++) {
        Sentry.startSpan({ name: `work ${round}` }, () => undefined);
        Sentry.captureException(new Error(`failure ${round}`));
        await Sentry.flush(3000);
      }
      const errors = statuses.filter((s) => s.type === 'error');
      expect(errors).toHaveLength(4);
      expect(errors.every((s) => s.status === 200)).toBe(true);
      const transactions = statuses.filter((s) => s.type === 'transaction');
      // The first transaction fills the quota (it is a transaction and its root span); the SDK then holds transactions back.
      expect(transactions.filter((s) => s.status === 200).length).toBeLessThanOrEqual(1);
      const recent = await request<{ itemTypes: string[]; publicKey: string }[]>(t.h, 'GET', '/api/0/projects/acme/web/events/recent/', { token: t.owner });
      // Every error arrived; no more transactions than the quota admits.
      const mine = recent.body.filter((e) => e.publicKey === key.public_key);
      expect(mine.filter((e) => e.itemTypes.includes('event'))).toHaveLength(4);
      expect(mine.filter((e) => e.itemTypes.includes('transaction')).length).toBeLessThanOrEqual(1);
    } finally {
      await Sentry.close(2000);
    }
  });
});
