/**
 * Where DSNs point: INGEST_URL (Sentry's SENTRY_PUBLIC_ENDPOINT) names another host than the API's
 * PUBLIC_URL, and INGEST_ORG_SUBDOMAINS prefixes it with the organization, `o<id>.<host>`, as
 * sentry.io does. The real @sentry/node sends to such a DSN end to end: the gate does not look at
 * the Host (neither does Relay), so any name that reaches the server works; the SDK reads the
 * organization's id from the prefix.
 */
import * as http from 'node:http';
import * as Sentry from '@sentry/node';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { freePort, request, Seed, startHarness, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

describe('INGEST_URL', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { h, seed, org } = await startOrg({ publicUrl: 'https://api.example.com', ingestUrl: 'https://ingest.example.com/relay' });
    onCleanup(() => h.close());
    const project = await seed.project(org, 'web');
    const owner = await seed.caller(org, 'owner@acme.example');
    return { h, project, owner };
  });

  it('is the base of the public DSN and the ingest URLs; the secret DSN and the API stay on PUBLIC_URL', async () => {
    const res = await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token: t.owner });
    const [key] = res.body;
    const pid = t.project.id;
    expect(key.dsn.public).toBe(`https://${key.public}@ingest.example.com/relay/${pid}`);
    // Sentry's private DSN is built on SENTRY_ENDPOINT, which falls back to the URL prefix.
    expect(key.dsn.secret).toBe(`https://${key.public}:${key.secret}@api.example.com/${pid}`);
    expect(key.dsn.csp).toBe(`https://ingest.example.com/relay/api/${pid}/csp-report/?sentry_key=${key.public}`);
    expect(key.dsn.otlp_traces).toBe(`https://ingest.example.com/relay/api/${pid}/integration/otlp/v1/traces`);
    expect(key.dsn.cdn).toBe(`https://ingest.example.com/relay/js-sdk-loader/${key.public}.min.js`);
    expect(res.headers.get('link')).toContain('<https://api.example.com/api/0/projects/acme/web/keys/?&cursor=');
    const org = await request(t.h, 'GET', '/api/0/organizations/acme/', { token: t.owner });
    expect(org.body.links).toEqual({ organizationUrl: 'https://api.example.com', regionUrl: 'https://api.example.com' });
  });

  it('is checked at boot, naming the variable; it defaults to PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://keys.example.com/' }).ingestUrl).toBe('https://keys.example.com');
    expect(loadConfig({ INGEST_URL: 'https://ingest.example.com/' }).ingestUrl).toBe('https://ingest.example.com');
    expect(() => loadConfig({ INGEST_URL: 'ingest.example.com' })).toThrow(/^INGEST_URL must be an absolute http\(s\) URL/);
    expect(() => loadConfig({ INGEST_URL: 'https://u:p@ingest.example.com' })).toThrow(/^INGEST_URL must not carry credentials/);
    expect(() => loadConfig({ INGEST_ORG_SUBDOMAINS: 'maybe' })).toThrow(/^INGEST_ORG_SUBDOMAINS must be 1 or 0/);
    expect(() => loadConfig({ INGEST_ORG_SUBDOMAINS: '1', INGEST_URL: 'http://10.0.0.5:9000' })).toThrow(/^INGEST_ORG_SUBDOMAINS needs a host name in INGEST_URL/);
    expect(() => loadConfig({ INGEST_ORG_SUBDOMAINS: '1', INGEST_URL: 'http://[::abc]:9000' })).toThrow(/^INGEST_ORG_SUBDOMAINS needs a host name/);
    expect(() => loadConfig({ INGEST_ORG_SUBDOMAINS: '1', PUBLIC_URL: 'http://127.0.0.1:9000' })).toThrow(/^INGEST_ORG_SUBDOMAINS needs a host name in PUBLIC_URL/);
    expect(loadConfig({ INGEST_ORG_SUBDOMAINS: '1', INGEST_URL: 'https://ingest.example.com' }).ingestOrgSubdomains).toBe(true);
  });
});

describe('INGEST_ORG_SUBDOMAINS', () => {
  const t = suiteFixture(async (onCleanup) => {
    const port = await freePort();
    const h = await startHarness(
      { publicUrl: `http://127.0.0.1:${port}`, ingestUrl: `http://ingest.localhost:${port}`, ingestOrgSubdomains: true },
      { listenPort: port },
    );
    onCleanup(() => h.close());
    onCleanup(() => Sentry.close(2000));
    const seed = new Seed(h.services);
    const org = await seed.org('acme');
    const project = await seed.project(org, 'web');
    const owner = await seed.caller(org, 'owner@acme.example');
    return { h, org, project, owner, port };
  });

  it('names the organization in every DSN host, o<id>.<ingest host>', async () => {
    const [key] = (await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token: t.owner })).body;
    const host = `o${t.org.id}.ingest.localhost:${t.port}`;
    expect(key.dsn.public).toBe(`http://${key.public}@${host}/${t.project.id}`);
    expect(key.dsn.minidump).toBe(`http://${host}/api/${t.project.id}/minidump/?sentry_key=${key.public}`);
    // The secret DSN is on PUBLIC_URL, here an IP address: no subdomain to add there.
    expect(key.dsn.secret).toBe(`http://${key.public}:${key.secret}@127.0.0.1:${t.port}/${t.project.id}`);
    // An organization's Relay is used as it is, without the prefix.
    await request(t.h, 'PUT', '/api/0/organizations/acme/', { token: t.owner, body: { relayDsnEndpoint: 'https://relay.example.com' } });
    const relayed = (await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token: t.owner })).body[0];
    expect(relayed.dsn.public).toBe(`https://${key.public}@relay.example.com/${t.project.id}`);
    expect(relayed.dsn.cdn).toBe(`http://${host}/js-sdk-loader/${key.public}.min.js`);
    await request(t.h, 'PUT', '/api/0/organizations/acme/', { token: t.owner, body: { relayDsnEndpoint: null } });
  });

  it('@sentry/node sends to such a DSN, reads the organization id from its host, and its events are accepted', async () => {
    const [key] = (await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token: t.owner })).body;
    // *.localhost names no address here (getaddrinfo): resolve every name to loopback, as DNS
    // would resolve *.ingest.example.com to the server. The Host header stays the DSN's host.
    const seen: { host: string | undefined; body: string }[] = [];
    const loopback: http.RequestOptions['lookup'] = (_name, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
      else (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4);
    };
    const httpModule = {
      request(options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) {
        const req = http.request({ ...options, lookup: loopback }, callback);
        const chunks: Buffer[] = [];
        const write = req.write.bind(req);
        req.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
          chunks.push(Buffer.from(chunk));
          return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof req.write;
        req.on('finish', () => seen.push({ host: req.getHeader('host') as string | undefined, body: Buffer.concat(chunks).toString('utf8') }));
        return req;
      },
    };
    const statuses: number[] = [];
    Sentry.init({ dsn: key.dsn.public, transportOptions: { httpModule } as never, tracesSampleRate: 1 });
    Sentry.getClient()!.on('afterSendEvent', (_event, response) => {
      statuses.push(response.statusCode ?? 0);
    });
    expect(Sentry.getClient()!.getDsn()!.host).toBe(`o${t.org.id}.ingest.localhost`);
    Sentry.startSpan({ name: 'checkout' }, () => Sentry.captureMessage('from an org subdomain'));
    expect(await Sentry.flush(5000)).toBe(true);
    expect(statuses).toEqual([200]);
    expect(seen[0]?.host).toBe(`o${t.org.id}.ingest.localhost:${t.port}`);
    // The dynamic sampling context the SDK puts in the envelope header names the organization.
    const header = JSON.parse(seen[0]!.body.split('\n')[0]!) as { trace?: { org_id?: string } };
    expect(header.trace?.org_id).toBe(String(t.org.id));

    await t.h.services.ingest.flush();
    const stats = await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${key.public}/stats/?resolution=1h`, { token: t.owner });
    expect((stats.body as { accepted: number }[]).reduce((n, p) => n + p.accepted, 0)).toBe(1);
  });
});
