/**
 * The OpenAPI document names every status an operation can answer: each documented operation is
 * called the ways a client can get it wrong (no credential, a bad one, too few scopes, an unknown
 * organization, a bad page, a bad or oversized or mistyped body) and the right way, and every
 * status that comes back must be among the operation's documented responses. The errors are
 * derived from what a route uses (src/http/resource.ts), so a route that gains a guard, paging or a
 * body cannot leave its errors undocumented.
 */
import { describe, expect, it } from 'vitest';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

interface Operation {
  responses: Record<string, unknown>;
  requestBody?: unknown;
  parameters?: { name: string; in: string }[];
}

const t = suiteFixture(async (onCleanup) => {
  const { seed, ...started } = await startOrg();
  const { h, org } = started;
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  const project = await seed.project(org, 'web', team);
  const owner = await seed.caller(org, 'owner@acme.example');
  const readOnly = await seed.caller(org, 'reader@acme.example', 'member', ['org:read'], team);
  const keyId = (await seed.defaultKey(project)).public_key;
  const doc = (await request(h, 'GET', '/api/0/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
  return { h, owner, readOnly, org, team, project, keyId, operations };
});

/** The path with every parameter filled from the fixtures; `org` may be replaced by an unknown one. */
function fill(path: string, orgRef = t.org.slug): string {
  const values: Record<string, string> = { org: orgRef, project: t.project.slug, team: t.team.slug, key_id: t.keyId, user: 'me' };
  return path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name);
}

interface Probe {
  name: string;
  applies(op: { method: string; operation: Operation; path: string }): boolean;
  send(op: { method: string; operation: Operation; path: string }): Promise<number>;
}

const hasBody = (op: { operation: Operation }) => op.operation.requestBody !== undefined;
const isPaged = (op: { operation: Operation }) => (op.operation.parameters ?? []).some((p) => p.in === 'query' && p.name === 'per_page');
const withOrg = (op: { path: string }) => op.path.includes('{org}');
const status = async (method: string, path: string, options: Parameters<typeof request>[3] = {}) => (await request(t.h, method, path, options)).status;

const PROBES: Probe[] = [
  { name: 'no credential', applies: () => true, send: (op) => status(op.method, fill(op.path), { body: hasBody(op) ? {} : undefined }) },
  { name: 'a bad token', applies: () => true, send: (op) => status(op.method, fill(op.path), { token: 'sntryu_' + '0'.repeat(64) }) },
  { name: 'too few scopes', applies: withOrg, send: (op) => status(op.method, fill(op.path), { token: t.readOnly, body: hasBody(op) ? {} : undefined }) },
  { name: 'an unknown organization', applies: withOrg, send: (op) => status(op.method, fill(op.path, 'nope'), { token: t.owner, body: hasBody(op) ? {} : undefined }) },
  { name: 'a bad per_page', applies: isPaged, send: (op) => status(op.method, `${fill(op.path)}?per_page=x`, { token: t.owner }) },
  { name: 'a bad cursor', applies: isPaged, send: (op) => status(op.method, `${fill(op.path)}?cursor=nope`, { token: t.owner }) },
  { name: 'a per_page out of range', applies: isPaged, send: (op) => status(op.method, `${fill(op.path)}?per_page=1000`, { token: t.owner }) },
  {
    name: 'a body that is not JSON',
    applies: hasBody,
    send: (op) => status(op.method, fill(op.path), { token: t.owner, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }),
  },
  {
    name: 'a body of another type',
    applies: hasBody,
    send: (op) => status(op.method, fill(op.path), { token: t.owner, rawBody: 'x', headers: { 'content-type': 'application/xml' } }),
  },
  {
    name: 'a body over the limit',
    applies: hasBody,
    send: (op) => status(op.method, fill(op.path), { token: t.owner, rawBody: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }),
  },
  { name: 'a body of the wrong shape', applies: hasBody, send: (op) => status(op.method, fill(op.path), { token: t.owner, body: { name: 42, rateLimit: 'x', slug: '!' } }) },
  // Last: the right way changes things (a DELETE would remove the fixtures, so it is left out).
  { name: 'the right way', applies: (op) => op.method !== 'DELETE', send: (op) => status(op.method, fill(op.path), { token: t.owner, body: hasBody(op) ? {} : undefined }) },
];

describe('the OpenAPI document', () => {
  it('documents the rate limit and an unreachable database for every operation', () => {
    expect(t.operations.length).toBeGreaterThan(15);
    for (const { path, method, operation } of t.operations) {
      expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['429', '503']));
    }
  });

  it('documents every status an operation answers, and none is a 5xx', async () => {
    const undocumented: string[] = [];
    let probes = 0;
    for (const probe of PROBES) {
      for (const op of t.operations) {
        if (!probe.applies(op)) continue;
        const answered = await probe.send(op);
        probes += 1;
        expect(answered, `${probe.name}: ${op.method} ${op.path}`).toBeLessThan(500);
        if (!Object.hasOwn(op.operation.responses, String(answered))) undocumented.push(`${op.method} ${op.path} answered ${answered} to ${probe.name}`);
      }
    }
    expect(probes).toBeGreaterThan(100);
    expect(undocumented).toEqual([]);
  });

  it('documents paging errors on paged lists only, and body errors on operations with a body', () => {
    for (const { path, method, operation } of t.operations) {
      const codes = Object.keys(operation.responses);
      if (isPaged({ operation })) expect(codes, `${method} ${path}`).toContain('400');
      if (hasBody({ operation })) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (withOrg({ path })) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403', '404']));
    }
  });
});
