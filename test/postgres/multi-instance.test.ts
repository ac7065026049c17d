/**
 * Several instances behind a load balancer on one PostgreSQL: what one writes the other serves at
 * once, changes reach every instance's subscribers through LISTEN/NOTIFY within a second, and
 * concurrent writes and start-ups do not collide.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/changes/bus.ts';
import { PostgresChangeBus } from '../../src/changes/postgres-bus.ts';
import { closeServices } from '../../src/composition.ts';
import { generateKey } from '../../src/domain/keys.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { signIn } from '../helpers/browser-session.ts';
import { request, Seed, servicesWithDatabase, startHarness, TEST_ACTOR, testConfig, type Harness } from '../helpers/harness.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { createTestDatabase } from '../helpers/test-database.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const database = await createTestDatabase(mkdtempSync(join(tmpdir(), 'clientkeys-multi-')));
  onCleanup(() => database.drop());
  const a = await startHarness({}, { shared: database });
  onCleanup(() => a.close());
  const b = await startHarness({}, { shared: database });
  onCleanup(() => b.close());
  const seed = new Seed(a.services);
  const org = await seed.org('acme');
  await seed.project(org, 'web');
  const token = await seed.caller(org, 'owner@acme.example');
  const signer = await seed.user('signer@acme.example', { password: 'a password for two instances' });
  await seed.member(org, signer, 'owner');
  return { a, b, token };
});

const keys = '/api/0/projects/acme/web/keys/';

describe('two instances on one database', () => {
  it('runs on PostgreSQL', () => {
    expect(t.a.db.dialect).toBe('postgres');
    expect(t.a.services.changes).toBeInstanceOf(PostgresChangeBus);
  });

  it('serves a key created or changed through one instance from the other at once', async () => {
    const created = await request(t.a, 'POST', keys, { token: t.token, body: { name: 'via A' } });
    expect(created.status).toBe(201);
    const seen = await request(t.b, 'GET', `${keys}${created.body.id}/`, { token: t.token });
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual(created.body);

    const changed = await request(t.b, 'PUT', `${keys}${created.body.id}/`, { token: t.token, body: { name: 'via B', isActive: false } });
    expect(changed.status).toBe(200);
    const back = await request(t.a, 'GET', `${keys}${created.body.id}/`, { token: t.token });
    expect(back.body).toMatchObject({ name: 'via B', isActive: false });
  });

  it('honours a web session signed in on one instance on the other, and its sign-out on both', async () => {
    const session = await signIn(t.a, 'signer@acme.example', 'a password for two instances');
    const created = await request(t.b, 'POST', keys, { headers: session.headers(true), body: { name: 'from a session on B' } });
    expect(created.status).toBe(201);
    const signedOut = await fetch(`${t.b.baseUrl}/auth/logout/`, { method: 'POST', redirect: 'manual', headers: session.headers(true) });
    expect(signedOut.status).toBe(303);
    expect((await request(t.a, 'GET', keys, { headers: session.headers() })).status).toBe(401);
  });

  it("delivers each change to the other instance's subscribers within a second (LISTEN/NOTIFY)", async () => {
    const bus = t.b.services.changes as PostgresChangeBus;
    const received: { event: ChangeEvent; at: number }[] = [];
    const unsubscribe = bus.subscribe((event) => received.push({ event, at: Date.now() }));
    await bus.listening();
    try {
      const started = Date.now();
      const created = await request(t.a, 'POST', keys, { token: t.token, body: { name: 'watched' } });
      await request(t.a, 'PUT', `${keys}${created.body.id}/`, { token: t.token, body: { isActive: false } });
      const deadline = Date.now() + 1000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(received.map((r) => r.event)).toEqual([
        { type: 'keys', publicKeys: [created.body.id] },
        { type: 'keys', publicKeys: [created.body.id] },
      ]);
      for (const r of received) expect(r.at - started).toBeLessThan(1000);
    } finally {
      unsubscribe();
    }
  });

  it('delivers a change naming thousands of keys (an import) whole, past NOTIFY\'s 8,000-byte payload limit', async () => {
    const bus = t.b.services.changes as PostgresChangeBus;
    const received = new Set<string>();
    const unsubscribe = bus.subscribe((event) => {
      if (event.type === 'keys') for (const key of event.publicKeys) received.add(key);
    });
    await bus.listening();
    try {
      const publicKeys = Array.from({ length: 2000 }, () => generateKey());
      await t.a.services.changes.publish({ type: 'keys', publicKeys });
      const deadline = Date.now() + 1000;
      while (received.size < publicKeys.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect([...received].sort()).toEqual([...publicKeys].sort());
    } finally {
      unsubscribe();
    }
  });

  it('creates 200 keys concurrently across both instances: all succeed, ids and keys unique', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => request(i % 2 === 0 ? t.a : t.b, 'POST', keys, { token: t.token, body: { name: `load ${i}` } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(201));
    const publics = new Set(results.map((r) => r.body.public));
    const secrets = new Set(results.map((r) => r.body.secret));
    expect(publics.size).toBe(200);
    expect(secrets.size).toBe(200);
    const rows = await t.a.db.kysely.selectFrom('project_keys').select(['id', 'label']).where('label', 'like', 'load %').execute();
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.id)).size).toBe(200);
    const audits = await t.a.db.kysely.selectFrom('audit_log_entries').select('id').where('event', '=', 'projectkey.add').execute();
    expect(audits.length).toBeGreaterThanOrEqual(200);
  });
});

/**
 * What each management request reads first (the credential, the organization, the membership) is
 * cached per instance (services/access-cache.ts). B is asked right before each change, so its
 * entries are fresh: only the change reaching it through the bus can make it refuse at once.
 */
describe('access changed through one instance, on the other', () => {
  const accessChange = async (h: Harness) => {
    const bus = h.services.changes as PostgresChangeBus;
    await bus.listening();
    return new Promise<number>((resolve) => {
      const unsubscribe = bus.subscribe((event) => {
        if (event.type !== 'access') return;
        unsubscribe();
        resolve(Date.now());
      });
    });
  };

  /** A new owner of acme, added through A, once B has heard of it. */
  const newOwner = async (email: string) => {
    const seed = new Seed(t.a.services);
    const org = (await t.a.services.directory.organization('acme'))!;
    const user = await seed.user(email);
    const joined = accessChange(t.b);
    await seed.member(org, user, 'owner');
    await joined;
    return { seed, org, user };
  };

  it('refuses a revoked token on every instance within a second', async () => {
    const { user } = await newOwner('revoked@acme.example');
    const { token: revokable, id } = await t.a.services.credentials.issueUserToken(user, ['project:read']);
    recordSecret(revokable);
    expect((await request(t.a, 'GET', keys, { token: revokable })).status).toBe(200);
    expect((await request(t.b, 'GET', keys, { token: revokable })).status).toBe(200);

    const heard = accessChange(t.b);
    const revokedAt = Date.now();
    expect(await t.a.services.credentials.revokeUserToken(id, TEST_ACTOR)).toBe(true);
    expect((await request(t.a, 'GET', keys, { token: revokable })).body).toEqual({ detail: 'Invalid token' });
    expect((await heard) - revokedAt).toBeLessThan(1000);
    const onB = await request(t.b, 'GET', keys, { token: revokable });
    expect(onB.status).toBe(401);
    expect(onB.body).toEqual({ detail: 'Invalid token' });
  });

  it("applies a member's lower role on every instance within a second", async () => {
    const { seed, org, user } = await newOwner('demoted@acme.example');
    const demotable = await seed.token(user);
    expect((await request(t.a, 'POST', keys, { token: demotable, body: { name: 'as owner on A' } })).status).toBe(201);
    expect((await request(t.b, 'POST', keys, { token: demotable, body: { name: 'as owner on B' } })).status).toBe(201);

    const heard = accessChange(t.b);
    const changedAt = Date.now();
    await t.a.services.organizations.addMember(org, user, 'member', undefined, TEST_ACTOR);
    expect((await request(t.a, 'POST', keys, { token: demotable, body: { name: 'as member on A' } })).status).toBe(403);
    expect((await heard) - changedAt).toBeLessThan(1000);
    expect((await request(t.b, 'POST', keys, { token: demotable, body: { name: 'as member on B' } })).status).toBe(403);
    // A member still reads the project's keys (open membership).
    expect((await request(t.b, 'GET', keys, { token: demotable })).status).toBe(200);
  });

  it("answers a project's new name and the organization's Relay endpoint on the other instance once the change arrives", async () => {
    await new Seed(t.a.services).project((await t.a.services.directory.organization('acme'))!, 'renamed');
    const path = '/api/0/projects/acme/renamed/';
    expect((await request(t.b, 'GET', path, { token: t.token })).body.name).toBe('renamed');
    const firstKey = (await request(t.b, 'GET', `${path}keys/`, { token: t.token })).body[0];

    let heard = accessChange(t.b);
    expect((await request(t.a, 'PUT', path, { token: t.token, body: { name: 'After' } })).status).toBe(200);
    await heard;
    expect((await request(t.b, 'GET', path, { token: t.token })).body.name).toBe('After');

    heard = accessChange(t.b);
    const put = await request(t.a, 'PUT', '/api/0/organizations/acme/', { token: t.token, body: { relayDsnEndpoint: 'https://relay.example.com' } });
    expect(put.status).toBe(200);
    await heard;
    const key = (await request(t.b, 'GET', `${path}keys/${firstKey.id}/`, { token: t.token })).body;
    expect(key.dsn.public).toContain('relay.example.com');
    expect(firstKey.dsn.public).not.toContain('relay.example.com');
    await request(t.a, 'PUT', '/api/0/organizations/acme/', { token: t.token, body: { relayDsnEndpoint: null } });
  });
});

describe('start-up', () => {
  it('migrates safely when several instances start at once on an empty database', async () => {
    const fresh = await createTestDatabase(mkdtempSync(join(tmpdir(), 'clientkeys-migrate-')));
    const instances = Array.from({ length: 4 }, () => servicesWithDatabase(testConfig(fresh.config)));
    try {
      const outcomes = await Promise.all(instances.map((s) => s.db.migrate()));
      const applied = outcomes.flatMap((o) => o.applied);
      // Each migration ran exactly once, whichever instance ran it.
      expect(applied.sort()).toEqual(Object.keys(migrations('postgres')).sort());
      const tables = await instances[0]!.db.kysely.introspection.getTables();
      expect(tables.map((t) => t.name)).toContain('project_keys');
    } finally {
      for (const s of instances) await closeServices(s.services);
      await fresh.drop();
    }
  });
});

describe('ingest on two instances', () => {
  const send = async (h: Harness, projectId: number, publicKey: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${h.baseUrl}/api/${projectId}/envelope/?sentry_key=${publicKey}`, {
      method: 'POST',
      headers,
      body: `{"event_id":"${'a'.repeat(32)}"}\n{"type":"event"}\n{"message":"hello"}\n`,
    });
    await res.arrayBuffer();
    return res.status;
  };

  it("refuses a key disabled through one instance on the other within a second (the key map's invalidation)", async () => {
    const created = await request(t.a, 'POST', keys, { token: t.token, body: { name: 'ingest' } });
    const projectId = created.body.projectId as number;
    // B has the key in its map, as active.
    expect(await send(t.b, projectId, created.body.id)).toBe(200);
    const changedAt = Date.now();
    await request(t.a, 'PUT', `${keys}${created.body.id}/`, { token: t.token, body: { isActive: false } });
    let status = 200;
    while (status === 200 && Date.now() - changedAt < 1000) {
      status = await send(t.b, projectId, created.body.id);
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(403);
    expect(Date.now() - changedAt).toBeLessThan(1000);
  });

  it("applies a project's allowed domains changed through one instance on the other within a second", async () => {
    const created = await request(t.a, 'POST', keys, { token: t.token, body: { name: 'browser' } });
    const projectId = created.body.projectId as number;
    const origin = { origin: 'https://shop.example' };
    expect(await send(t.b, projectId, created.body.id, origin)).toBe(200);
    const changedAt = Date.now();
    const put = await request(t.a, 'PUT', '/api/0/projects/acme/web/', { token: t.token, body: { allowedDomains: ['app.example'] } });
    expect(put.body.allowedDomains).toEqual(['app.example']);
    let status = 200;
    while (status === 200 && Date.now() - changedAt < 1000) {
      status = await send(t.b, projectId, created.body.id, origin);
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(403);
    expect(Date.now() - changedAt).toBeLessThan(1000);
    expect(await send(t.b, projectId, created.body.id, { origin: 'https://app.example' })).toBe(200);
    await request(t.a, 'PUT', '/api/0/projects/acme/web/', { token: t.token, body: { allowedDomains: ['*'] } });
  });

  it('ends a rotation overlap on every instance', async () => {
    const created = await request(t.a, 'POST', keys, { token: t.token, body: { name: 'rotating' } });
    const projectId = created.body.projectId as number;
    expect(await send(t.b, projectId, created.body.id)).toBe(200);
    const rotated = await request(t.a, 'POST', `${keys}${created.body.id}/rotate/`, { token: t.token, body: { overlapSeconds: 3 } });
    expect(rotated.status).toBe(201);
    const ends = Date.parse((await request(t.b, 'GET', `${keys}${created.body.id}/`, { token: t.token })).body.dateExpires);
    // B learns the end through the bus and enforces it by the clock, without another change.
    await new Promise((r) => setTimeout(r, 200));
    expect(Date.now()).toBeLessThan(ends - 1000);
    expect(await send(t.b, projectId, created.body.id)).toBe(200);
    while (Date.now() < ends) await new Promise((r) => setTimeout(r, 50));
    expect(await send(t.b, projectId, created.body.id)).toBe(403);
    expect(await send(t.a, projectId, created.body.id)).toBe(403);
    expect(await send(t.b, projectId, rotated.body.id)).toBe(200);
  });
});
