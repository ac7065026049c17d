/**
 * The organization's Relay DSN endpoint (getsentry/sentry#118707): set by `PUT
 * /organizations/{org}/` `relayDsnEndpoint`, validated as Sentry does, it rewrites every DSN URL of
 * the organization's keys but `cdn`. Sentry's test_relay_dsn_endpoint_override, ported.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { request, startAcme } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const orgPath = '/api/0/organizations/acme/';
const keysPath = '/api/0/projects/acme/web/keys/';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org, project, owner } = await startAcme();
  onCleanup(() => h.close());
  return { h, seed, org, project, owner };
});

async function setRelay(value: unknown, token = t.owner) {
  return request(t.h, 'PUT', orgPath, { token, body: { relayDsnEndpoint: value } });
}

describe('relayDsnEndpoint', () => {
  it('test_relay_dsn_endpoint_override: every dsn URL but cdn names the Relay', async () => {
    const put = await setRelay('https://relay.example.com/ingest');
    expect(put.status).toBe(200);
    expect(put.body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
    const key = await t.seed.defaultKey(t.project);
    const { public_key: pk, secret_key: sk } = key;
    const pid = t.project.id;
    const res = await request(t.h, 'GET', keysPath, { token: t.owner });
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
    expect((await request(t.h, 'GET', `${keysPath}${pk}/`, { token: t.owner })).body.dsn.public).toBe(`https://${pk}@relay.example.com/ingest/${pid}`);
    const orgKeys = await request(t.h, 'GET', '/api/0/organizations/acme/project-keys/?project=-1', { token: t.owner });
    expect(orgKeys.body[0].dsn.public).toMatch(/^https:\/\/[0-9a-f]{32}@relay\.example\.com\/ingest\//);
    const created = await request(t.h, 'POST', keysPath, { token: t.owner, body: { name: 'second' } });
    expect(created.body.dsn.public).toBe(`https://${created.body.public}@relay.example.com/ingest/${pid}`);
    // And the CLI.
    const shown = cli(['keys', 'show', 'acme/web', pk, '--json'], { DATABASE_URL: t.h.databaseUrl, PUBLIC_URL: 'http://testserver' });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).dsn.public).toBe(`https://${pk}@relay.example.com/ingest/${pid}`);
    // GET shows it; another organization's keys keep this server's URLs.
    expect((await request(t.h, 'GET', orgPath, { token: t.owner })).body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
    const other = await t.seed.org('other');
    const otherProject = await t.seed.project(other, 'app');
    const otherOwner = await t.seed.caller(other, 'owner@other.example');
    const otherKeys = await request(t.h, 'GET', '/api/0/projects/other/app/keys/', { token: otherOwner });
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
    expect((await request(t.h, 'GET', orgPath, { token: t.owner })).body.relayDsnEndpoint).toBe('https://relay.example.com/ingest');
  });

  it('blank or null clears it, and the DSNs are this server\'s again', async () => {
    for (const value of ['  ', null]) {
      await setRelay('http://relay.internal:3000/');
      const key = (await request(t.h, 'GET', keysPath, { token: t.owner })).body[0];
      expect(key.dsn.public).toBe(`http://${key.public}@relay.internal:3000/${t.project.id}`);
      const cleared = await setRelay(value);
      expect(cleared.status).toBe(200);
      expect(cleared.body.relayDsnEndpoint).toBeNull();
      const again = (await request(t.h, 'GET', keysPath, { token: t.owner })).body[0];
      expect(again.dsn.public).toBe(`http://${key.public}@testserver/${t.project.id}`);
    }
  });

  it('needs org:write; members and other organizations change nothing', async () => {
    const reader = await t.seed.caller(t.org, 'reader@acme.example', 'owner', ['org:read']);
    const denied = await setRelay('https://evil.example.com', reader);
    expect(denied.status).toBe(403);
    const other = await t.seed.caller(await t.seed.org('third'), 'x@third.example');
    expect((await setRelay('https://evil.example.com', other)).status).toBe(403);
    expect((await request(t.h, 'GET', orgPath, { token: t.owner })).body.relayDsnEndpoint).toBeNull();
    // Changes are audited.
    const entries = await t.h.db.stores.auditLog.list(t.org.id);
    expect(entries.filter((e) => e.event === 'org.edit').length).toBeGreaterThanOrEqual(2);
  });
});
