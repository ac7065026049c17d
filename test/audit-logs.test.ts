/** The audit log: written with every change, served as Sentry serves it, to org:write callers only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrganizationRow } from '../src/storage/schema.ts';
import { request, Seed, startOrg, type Harness } from './helpers/harness.ts';

let h: Harness;
let seed: Seed;
let org: OrganizationRow;
let owner: string;
let ownerId: number;
const path = '/api/0/organizations/acme/audit-logs/';

beforeAll(async () => {
  ({ h, seed, org } = await startOrg());
  await seed.project(org, 'web');
  const user = await seed.user('owner@acme.example');
  ownerId = user.id;
  await seed.member(org, user, 'owner');
  owner = await seed.token(user);
});
afterAll(() => h.close());

describe('audit log', () => {
  it('records add, edit (with before/after) and remove of a key, with actor, IP and time, never the secret', async () => {
    const keys = '/api/0/projects/acme/web/keys/';
    const created = await request(h, 'POST', keys, { token: owner, body: { name: 'audited' } });
    await request(h, 'PUT', `${keys}${created.body.id}/`, { token: owner, body: { rateLimit: { count: 5, window: 60 } } });
    await request(h, 'DELETE', `${keys}${created.body.id}/`, { token: owner });

    const res = await request(h, 'GET', path, { token: owner });
    expect(res.status).toBe(200);
    expect(res.body.options).toEqual(expect.arrayContaining(['projectkey.add', 'projectkey.edit', 'projectkey.remove']));
    const rows = res.body.rows.filter((r: any) => r.data.public_key === created.body.id);
    expect(rows.map((r: any) => r.event)).toEqual(['projectkey.remove', 'projectkey.edit', 'projectkey.add']);
    const [remove, edit, add] = rows;
    expect(add).toMatchObject({ note: `added project key ${created.body.id}`, ipAddress: '127.0.0.1', targetUser: null });
    expect(add.actor).toMatchObject({ id: String(ownerId), email: 'owner@acme.example' });
    expect(edit.data).toMatchObject({ prev_rate_limit_count: null, prev_rate_limit_window: null, rate_limit_count: 5, rate_limit_window: 60 });
    expect(remove.dateCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Object.keys(add)).toEqual(['id', 'actor', 'event', 'ipAddress', 'note', 'targetObject', 'targetUser', 'data', 'dateCreated']);
    expect(res.text).not.toContain(created.body.secret);
  });

  it('names an API key or the CLI as the actor without revealing the credential', async () => {
    const key = await seed.apiKey(org, ['project:admin', 'org:write']);
    await request(h, 'POST', '/api/0/projects/acme/web/keys/', { basic: key, body: { name: 'by key' } });
    const res = await request(h, 'GET', `${path}?event=projectkey.add`, { basic: key });
    expect(res.body.rows[0].actor).toEqual({ name: expect.stringMatching(/^api key \d+$/) });
    expect(res.text).not.toContain(key);
  });

  it('filters by event and actor, and refuses a bad actor', async () => {
    const adds = await request(h, 'GET', `${path}?event=projectkey.add`, { token: owner });
    expect(adds.body.rows.length).toBeGreaterThan(0);
    expect(adds.body.rows.every((r: any) => r.event === 'projectkey.add')).toBe(true);
    const byOwner = await request(h, 'GET', `${path}?actor=${ownerId}`, { token: owner });
    expect(byOwner.body.rows.every((r: any) => r.actor.id === String(ownerId))).toBe(true);
    expect((await request(h, 'GET', `${path}?event=no.such.event`, { token: owner })).body.rows).toEqual([]);
    const bad = await request(h, 'GET', `${path}?actor=abc`, { token: owner });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ actor: ['A valid integer is required.'] });
  });

  it('pages newest first with a time cursor and loses nothing', async () => {
    for (let i = 0; i < 7; i++) await request(h, 'POST', '/api/0/projects/acme/web/keys/', { token: owner, body: { name: `p${i}` } });
    const all = (await request(h, 'GET', `${path}?per_page=100`, { token: owner })).body.rows.map((r: any) => r.id);
    const seen: string[] = [];
    let next = `${path}?per_page=3`;
    for (let i = 0; i < 50 && next; i++) {
      const page = await request(h, 'GET', next, { token: owner });
      seen.push(...page.body.rows.map((r: any) => r.id));
      const link = /<([^>]+)>; rel="next"; results="true"/.exec(page.headers.get('link')!);
      next = link ? link[1]!.replace('http://testserver', '') : '';
    }
    expect(seen).toEqual(all);
    expect(all.map(Number)).toEqual([...all.map(Number)].sort((a, b) => b - a));
  });

  it('is for org:write callers only', async () => {
    const member = await seed.caller(org, 'member@acme.example', 'member');
    const res = await request(h, 'GET', path, { token: member });
    expect(res.status).toBe(403);
    const admin = await seed.caller(org, 'manager@acme.example', 'manager');
    expect((await request(h, 'GET', path, { token: admin })).status).toBe(200);
  });
});
