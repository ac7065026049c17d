/**
 * The organization's Relay DSN endpoint (getsentry/sentry#118707): set by `PUT
 * /organizations/{org}/` `relayDsnEndpoint`, validated as Sentry does, it rewrites every DSN URL of
 * the organization's keys but `cdn`. Sentry's test_relay_dsn_endpoint_override, ported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrganizationRow, ProjectRow } from '../src/storage/schema.ts';
import { cli } from './helpers/cli.ts';
import { request, Seed, startAcme, type Harness } from './helpers/harness.ts';

let h: Harness;
let seed: Seed;
let org: OrganizationRow;
let project: ProjectRow;
let owner: string;

const orgPath = '/api/0/organizations/acme/';
const keysPath = '/api/0/projects/acme/web/keys/';

beforeAll(async () => {
  ({ h, seed, org, project, owner } = await startAcme());
});
afterAll(() => h.close());

async function setRelay(value: unknown, token = owner) {
  return request(h, 'PUT', orgPath, { token, body: { relayDsnEndpoint: value } });
}

describe('relayDsnEndpoint', () => {
  it('test_relay_dsn_endpoint_override: every dsn URL but cdn names the Relay', async () => {
    const put = await setRelay('https://relay.example.com/ingest');
    expect(put.status).toBe(200);
    expect(put.body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
    const key = await seed.defaultKey(project);
    const { public_key: pk, secret_key: sk } = key;
    const pid = project.id;
    const res = await request(h, 'GET', keysPath, { token: owner });
    expect(res.status).toBe(200);
    expect(res.body[0].dsn).toEqual({
      public: `https://${pk}@relay.example.com/ingest/${pid}`,
      secret: `https://${pk}:${sk}@relay.example.com/ingest/${pid}`,
      csp: `https://relay.example.com/ingest/api/${pid}/csp-report/?sentry_key=${pk}`,
      security: `https://relay.example.com/ingest/api/${pid}/security/?sentry_key=${pk}`,
      minidump: `https://relay.example.com/ingest/api/${pid}/minidump/?sentry_key=${pk}`,
      nel: `https://relay.example.com/ingest/api/${pid}/nel/?sentry_key=${pk}`,
      unreal: `https://relay.example.com/ingest/api/${pid}/unreal/${pk}/`,
      crons: `https://relay.example.com/ingest/api/${pid}/cron/___MONITOR_SLUG___/${pk}/`,
      cdn: `http://testserver/js-sdk-loader/${pk}.min.js`,
      playstation: `https://relay.example.com/ingest/api/${pid}/playstation/?sentry_key=${pk}`,
      integration: `https://relay.example.com/ingest/api/${pid}/integration/`,
      otlp_traces: `https://relay.example.com/ingest/api/${pid}/integration/otlp/v1/traces`,
      otlp_logs: `https://relay.example.com/ingest/api/${pid}/integration/otlp/v1/logs`,
    });
    // Every answer that shows a key: the detail, the organization's list, a new key.
    expect((await request(h, 'GET', `${keysPath}${pk}/`, { token: owner })).body.dsn.public).toBe(`https://${pk}@relay.example.com/ingest/${pid}`);
    const orgKeys = await request(h, 'GET', '/api/0/organizations/acme/project-keys/?project=-1', { token: owner });
    expect(orgKeys.body[0].dsn.public).toMatch(/^https:\/\/[0-9a-f]{32}@relay\.example\.com\/ingest\//);
    const created = await request(h, 'POST', keysPath, { token: owner, body: { name: 'second' } });
    expect(created.body.dsn.public).toBe(`https://${created.body.public}@relay.example.com/ingest/${pid}`);
    // And the CLI.
    const shown = cli(['keys', 'show', 'acme/web', pk, '--json'], { DATABASE_URL: h.databaseUrl, PUBLIC_URL: 'http://testserver' });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).dsn.public).toBe(`https://${pk}@relay.example.com/ingest/${pid}`);
    // GET shows it; another organization's keys keep this server's URLs.
    expect((await request(h, 'GET', orgPath, { token: owner })).body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
    const other = await seed.org('other');
    const otherProject = await seed.project(other, 'app');
    const otherOwner = await seed.caller(other, 'owner@other.example');
    const otherKeys = await request(h, 'GET', '/api/0/projects/other/app/keys/', { token: otherOwner });
    expect(otherKeys.body[0].dsn.public).toBe(`http://${otherKeys.body[0].public}@testserver/${otherProject.id}`);
  });

  it('is validated as Sentry: an absolute http(s) URL with a host and no credentials, query or fragment', async () => {
    for (const value of ['relay.example.com', 'ftp://relay.example.com', 'https://', 'https://user:pw@relay.example.com', 'https://relay.example.com/?a=1', 'https://relay.example.com/#x', 'https://relay.example.com?']) {
      const res = await setRelay(value);
      expect({ value, status: res.status }).toEqual({ value, status: 400 });
      expect(Object.keys(res.body)).toEqual(['relayDsnEndpoint']);
    }
    expect((await setRelay(true)).body).toEqual({ relayDsnEndpoint: ['Not a valid string.'] });
    // Nothing of the refused values was stored.
    expect((await request(h, 'GET', orgPath, { token: owner })).body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
  });

  it('blank or null clears it, and the DSNs are this server\'s again', async () => {
    for (const value of ['  ', null]) {
      await setRelay('http://relay.internal:3000/');
      const key = (await request(h, 'GET', keysPath, { token: owner })).body[0];
      expect(key.dsn.public).toBe(`http://${key.public}@relay.internal:3000/${project.id}`);
      const cleared = await setRelay(value);
      expect(cleared.status).toBe(200);
      expect(cleared.body.relayDsnEndpoint).toBeNull();
      const again = (await request(h, 'GET', keysPath, { token: owner })).body[0];
      expect(again.dsn.public).toBe(`http://${key.public}@testserver/${project.id}`);
    }
  });

  it('needs org:write; members and other organizations change nothing', async () => {
    const reader = await seed.caller(org, 'reader@acme.example', 'owner', ['org:read']);
    const denied = await setRelay('https://evil.example.com', reader);
    expect(denied.status).toBe(403);
    const other = await seed.caller(await seed.org('third'), 'x@third.example');
    expect((await setRelay('https://evil.example.com', other)).status).toBe(403);
    expect((await request(h, 'GET', orgPath, { token: owner })).body.relayDsnEndpoint).toBeNull();
    // Changes are audited.
    const entries = await h.db.stores.auditLog.list(org.id);
    expect(entries.filter((e) => e.event === 'org.edit').length).toBeGreaterThanOrEqual(2);
  });
});
