/**
 * Key rotation (a clientkeys feature): a successor at once, the old key working through the
 * overlap and refused after it — also across a restart of the server, since the end is stored.
 */
import { describe, expect, it } from 'vitest';
import { closeServices } from '../src/composition.ts';
import { successorName } from '../src/services/key-rotation.ts';
import type { ProjectRow } from '../src/storage/schema.ts';
import { cli } from './helpers/cli.ts';
import { request, servicesWithDatabase, startOrg, testConfig } from './helpers/harness.ts';
import { eventEnvelope, eventId } from './helpers/ingest.ts';
import { serve } from './helpers/serve.ts';
import { processDatabase, suiteFixture } from './helpers/fixture.ts';

let projects = 0;

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const owner = await seed.caller(org, 'owner@acme.example');
  return { h, seed, org, owner };
});

async function newProject(): Promise<ProjectRow> {
  projects += 1;
  return t.seed.project(t.org, `app-${projects}`);
}
const keyPath = (project: ProjectRow, publicKey: string) => `/api/0/projects/acme/${project.slug}/keys/${publicKey}/`;

async function sendEvent(base: string, project: ProjectRow | { id: number }, publicKey: string): Promise<number> {
  const res = await fetch(`${base}/api/${project.id}/envelope/?sentry_key=${publicKey}`, { method: 'POST', body: eventEnvelope(eventId()) });
  await res.arrayBuffer();
  return res.status;
}

describe('POST …/keys/{key_id}/rotate/', () => {
  it('creates a successor with the same settings and marks the old key as being replaced', async () => {
    const project = await newProject();
    const created = await request(t.h, 'POST', `/api/0/projects/acme/${project.slug}/keys/`, {
      token: t.owner,
      body: { name: 'Backend', rateLimit: { count: 100, window: 60 } },
    });
    const policy = {
      quotas: [{ categories: ['transaction', 'span'], count: 500, window: 60 }],
      allowedIps: ['10.0.0.0/8'],
      deniedIps: ['10.1.2.3'],
      allowedOrigins: ['https://app.example'],
      requireOrigin: true,
      serverOnly: false,
    };
    const put = await request(t.h, 'PUT', keyPath(project, created.body.id), { token: t.owner, body: { dynamicSdkLoaderOptions: { hasDebug: true }, browserSdkVersion: '9.x', ...policy } });
    expect(put.status).toBe(200);
    const before = Date.now();
    const res = await request(t.h, 'POST', `${keyPath(project, created.body.id)}rotate/`, { token: t.owner, body: { overlapSeconds: 3600 } });
    expect(res.status).toBe(201);
    const successor = res.body;
    expect(successor.id).not.toBe(created.body.id);
    expect(successor.name).toMatch(/^Backend \(rotated \d{4}-\d\d-\d\d\)$/);
    expect(successor).toMatchObject({
      isActive: true,
      rateLimit: { window: 60, count: 100 },
      browserSdkVersion: '9.x',
      dynamicSdkLoaderOptions: { hasDebug: true, hasReplay: true, hasPerformance: true },
      replaces: created.body.id,
      replacedBy: null,
      dateExpires: null,
      // Rotating a leaked key must not lift its rules.
      ...policy,
    });
    const old = (await request(t.h, 'GET', keyPath(project, created.body.id), { token: t.owner })).body;
    expect(old).toMatchObject({ isActive: true, replacedBy: successor.id, replaces: null });
    const ends = Date.parse(old.dateExpires);
    expect(ends - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(ends - Date.now()).toBeLessThanOrEqual(3600_000);

    const audit = await t.h.db.stores.auditLog.list(t.org.id, 10);
    expect(audit.slice(0, 2).map((e) => [e.event, JSON.parse(e.data).public_key])).toEqual([
      ['projectkey.edit', created.body.id],
      ['projectkey.add', successor.id],
    ]);
    expect(JSON.parse(audit[0]!.data)).toMatchObject({ replaced_by: successor.id, overlap_seconds: 3600 });
    expect(JSON.parse(audit[1]!.data)).toMatchObject({ replaces: created.body.id, policy: { allowedIps: ['10.0.0.0/8'] } });
  });

  it('defaults to a day, refuses a second rotation during the overlap, and checks the overlap', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const rotated = await request(t.h, 'POST', `${keyPath(project, key.public_key)}rotate/`, { token: t.owner });
    expect(rotated.status).toBe(201);
    const old = (await request(t.h, 'GET', keyPath(project, key.public_key), { token: t.owner })).body;
    expect(Date.parse(old.dateExpires) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    const again = await request(t.h, 'POST', `${keyPath(project, key.public_key)}rotate/`, { token: t.owner });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ detail: `This key is already being replaced by ${rotated.body.id}; disable it to stop it now.` });

    const other = (await request(t.h, 'POST', `/api/0/projects/acme/${project.slug}/keys/`, { token: t.owner, body: {} })).body.id;
    for (const [body, message] of [
      [{ overlapSeconds: -1 }, 'Ensure this value is greater than or equal to 0.'],
      [{ overlapSeconds: 30 * 86_400 + 1 }, 'Ensure this value is less than or equal to 2592000.'],
      [{ overlapSeconds: 'soon' }, 'A valid integer is required.'],
    ] as const) {
      const bad = await request(t.h, 'POST', `${keyPath(project, other)}rotate/`, { token: t.owner, body });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ overlapSeconds: [message] });
    }
    const member = await t.seed.caller(t.org, `member-${project.id}@acme.example`, 'member');
    expect((await request(t.h, 'POST', `${keyPath(project, other)}rotate/`, { token: member })).status).toBe(403);
    expect((await request(t.h, 'POST', `${keyPath(project, 'f'.repeat(32))}rotate/`, { token: t.owner })).status).toBe(404);
  });

  it('with no overlap, stops the old key at once', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const rotated = await request(t.h, 'POST', `${keyPath(project, key.public_key)}rotate/`, { token: t.owner, body: { overlapSeconds: 0 } });
    expect(rotated.status).toBe(201);
    expect((await request(t.h, 'GET', keyPath(project, key.public_key), { token: t.owner })).body.isActive).toBe(false);
    expect(await sendEvent(t.h.baseUrl, project, key.public_key)).toBe(403);
    expect(await sendEvent(t.h.baseUrl, project, rotated.body.id)).toBe(200);
  });

  it('names the successor within 64 characters, without stacking suffixes', () => {
    const day = new Date('2026-11-23T12:00:00Z');
    expect(successorName('Backend', day)).toBe('Backend (rotated 2026-11-23)');
    expect(successorName('Backend (rotated 2026-01-01)', day)).toBe('Backend (rotated 2026-11-23)');
    const long = successorName('x'.repeat(64), day);
    expect([...long].length).toBe(64);
    expect(long.endsWith(' (rotated 2026-11-23)')).toBe(true);
  });
});

describe('the overlap, across a restart', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { dir, database, env, seeded } = await processDatabase(onCleanup, 'rotation', (seed) => seed.acme());
    return { dir, database, env, project: seeded.project, oldKey: seeded.key.public_key, token: seeded.owner };
  });

  it('accepts the old key during the overlap, before and after a restart, and refuses it after', async () => {
    const OVERLAP = 10;
    const first = await serve(t.dir, t.env);
    let newKey: string;
    let ends: number;
    try {
      const rotated = await fetch(`${first.url}/api/0/projects/acme/web/keys/${t.oldKey}/rotate/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ overlapSeconds: OVERLAP }),
      });
      expect(rotated.status).toBe(201);
      newKey = ((await rotated.json()) as { id: string }).id;
      const old = (await (await fetch(`${first.url}/api/0/projects/acme/web/keys/${t.oldKey}/`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as {
        dateExpires: string;
      };
      ends = Date.parse(old.dateExpires);
      expect(await sendEvent(first.url, t.project, t.oldKey)).toBe(200);
      expect(await sendEvent(first.url, t.project, newKey)).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }

    // Nothing about the rotation lives in the first process any more.
    const second = await serve(t.dir, t.env);
    try {
      expect(Date.now()).toBeLessThan(ends - 1000);
      expect(await sendEvent(second.url, t.project, t.oldKey)).toBe(200);
      while (Date.now() < ends) await new Promise((r) => setTimeout(r, 100));
      expect(await sendEvent(second.url, t.project, t.oldKey)).toBe(403);
      expect(await sendEvent(second.url, t.project, newKey)).toBe(200);
      const old = (await (await fetch(`${second.url}/api/0/projects/acme/web/keys/${t.oldKey}/`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as {
        isActive: boolean;
      };
      expect(old.isActive).toBe(false);
      // The sweep runs every second: give it time to store the end.
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }

    // The sweep stored it: the key is inactive in the database, with an audit entry saying why.
    const { services, db } = servicesWithDatabase(testConfig(t.database.config));
    try {
      const row = await db.kysely.selectFrom('project_keys').selectAll().where('public_key', '=', t.oldKey).executeTakeFirstOrThrow();
      expect(row.status).toBe(1);
      const entries = await db.kysely.selectFrom('audit_log_entries').select(['event', 'data', 'actor_label']).orderBy('id', 'desc').limit(5).execute();
      expect(entries.some((e) => e.event === 'projectkey.edit' && JSON.parse(e.data).reason === 'rotation overlap ended')).toBe(true);
    } finally {
      await closeServices(services);
    }
  });
});

describe('clientkeys keys rotate', () => {
  it('rotates from the CLI, with --overlap, and refuses a bad one', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const env = { DATABASE_URL: t.h.databaseUrl, PUBLIC_URL: t.h.config.publicUrl };
    const bad = cli(['keys', 'rotate', `acme/${project.slug}`, key.public_key, '--overlap', 'forever'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--overlap must be a number of seconds or a duration/);
    expect(cli(['keys', 'rotate', `acme/${project.slug}`, key.public_key, '--overlap', '31d'], env).stderr).toMatch(/at most 30d/);
    const result = cli(['keys', 'rotate', `acme/${project.slug}`, key.public_key, '--overlap', '2h', '--json'], env);
    expect(result.code).toBe(0);
    const successor = JSON.parse(result.stdout);
    expect(successor.replaces).toBe(key.public_key);
    const old = (await request(t.h, 'GET', keyPath(project, key.public_key), { token: t.owner })).body;
    expect(old.replacedBy).toBe(successor.id);
    expect(Date.parse(old.dateExpires) - Date.now()).toBeGreaterThan(7200_000 - 60_000);
  });
});
