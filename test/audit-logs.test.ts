/** The audit log: written with every change, served as Sentry serves it, to org:write callers only. */
import { describe, expect, it } from 'vitest';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const path = '/api/0/organizations/acme/audit-logs/';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  await seed.project(org, 'web');
  const user = await seed.user('owner@acme.example');
  const ownerId = user.id;
  await seed.member(org, user, 'owner');
  const owner = await seed.token(user);
  return { h, seed, org, owner, ownerId };
});

describe('audit log', () => {
  it('records add, edit (with before/after) and remove of a key, with actor, IP and time, never the secret', async () => {
    const keys = '/api/0/projects/acme/web/keys/';
    const created = await request(t.h, 'POST', keys, { token: t.owner, body: { name: 'audited' } });
    await request(t.h, 'PUT', `${keys}${created.body.id}/`, { token: t.owner, body: { rateLimit: { count: 5, window: 60 } } });
    await request(t.h, 'DELETE', `${keys}${created.body.id}/`, { token: t.owner });

    const res = await request(t.h, 'GET', path, { token: t.owner });
    expect(res.status).toBe(200);
    expect(res.body.options).toEqual(expect.arrayContaining(['projectkey.add', 'projectkey.edit', 'projectkey.remove']));
    const rows = res.body.rows.filter((r: any) => r.data.public_key === created.body.id);
    expect(rows.map((r: any) => r.event)).toEqual(['projectkey.remove', 'projectkey.edit', 'projectkey.add']);
    const [remove, edit, add] = rows;
    expect(add).toMatchObject({ note: `added project key ${created.body.id}`, ipAddress: '127.0.0.1', targetUser: null });
    expect(add.actor).toMatchObject({ id: String(t.ownerId), email: 'owner@acme.example' });
    expect(edit.data).toMatchObject({ prev_rate_limit_count: null, prev_rate_limit_window: null, rate_limit_count: 5, rate_limit_window: 60 });
    expect(remove.dateCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Object.keys(add)).toEqual(['id', 'actor', 'event', 'ipAddress', 'note', 'targetObject', 'targetUser', 'data', 'dateCreated']);
    expect(res.text).not.toContain(created.body.secret);
  });

  it('names an API key or the CLI as the actor without revealing the credential', async () => {
    const key = await t.seed.apiKey(t.org, ['project:admin', 'org:write']);
    await request(t.h, 'POST', '/api/0/projects/acme/web/keys/', { basic: key, body: { name: 'by key' } });
    const res = await request(t.h, 'GET', `${path}?event=projectkey.add`, { basic: key });
    expect(res.body.rows[0].actor).toEqual({ name: expect.stringMatching(/^api key \d+$/) });
    expect(res.text).not.toContain(key);
  });

  it('filters by event and actor, and refuses a bad actor', async () => {
    const adds = await request(t.h, 'GET', `${path}?event=projectkey.add`, { token: t.owner });
    expect(adds.body.rows.length).toBeGreaterThan(0);
    expect(adds.body.rows.every((r: any) => r.event === 'projectkey.add')).toBe(true);
    const byOwner = await request(t.h, 'GET', `${path}?actor=${t.ownerId}`, { token: t.owner });
    expect(byOwner.body.rows.every((r: any) => r.actor.id === String(t.ownerId))).toBe(true);
    expect((await request(t.h, 'GET', `${path}?event=no.such.event`, { token: t.owner })).body.rows).toEqual([]);
    const bad = await request(t.h, 'GET', `${path}?actor=abc`, { token: t.owner });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ actor: ['A valid integer is required.'] });
  });

  it('pages newest first with a time cursor and loses nothing', async () => {
    for (let i = 0; i < 7; i++) await request(t.h, 'POST', '/api/0/projects/acme/web/keys/', { token: t.owner, body: { name: `p${i}` } });
    const all = (await request(t.h, 'GET', `${path}?per_page=100`, { token: t.owner })).body.rows.map((r: any) => r.id);
    const seen: string[] = [];
    let next = `${path}?per_page=3`;
    for (let i = 0; i < 50 && next; i++) {
      const page = await request(t.h, 'GET', next, { token: t.owner });
      seen.push(...page.body.rows.map((r: any) => r.id));
      const link = /<([^>]+)>; rel="next"; results="true"/.exec(page.headers.get('link')!);
      next = link ? link[1]!.replace('http://testserver', '') : '';
    }
    expect(seen).toEqual(all);
    expect(all.map(Number)).toEqual([...all.map(Number)].sort((a, b) => b - a));
  });

  it('is for org:write callers only', async () => {
    const member = await t.seed.caller(t.org, 'member@acme.example', 'member');
    const res = await request(t.h, 'GET', path, { token: member });
    expect(res.status).toBe(403);
    const admin = await t.seed.caller(t.org, 'manager@acme.example', 'manager');
    expect((await request(t.h, 'GET', path, { token: admin })).status).toBe(200);
  });
});
