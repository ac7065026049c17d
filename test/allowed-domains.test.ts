/**
 * A project's allowed domains (`allowedDomains`): set through Sentry's project API with Sentry's
 * validation, and enforced by the DSN endpoints as Relay does (an Origin, else a Referer, must
 * match a pattern; a request without either is admitted).
 */
import { describe, expect, it } from 'vitest';
import { compileAllowedOrigins, isAcceptableOrigin, requestOrigin, trimTrailingSlashes } from '../src/domain/origins.ts';
import { request, startAcme, TEST_ACTOR } from './helpers/harness.ts';
import { createKey, envelopePath, eventEnvelope, eventId, send } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

describe('origin patterns', () => {
  // relay-filter's own table for matches_any_origin (csp.rs), as browsers send these origins.
  const relayCases: [string, string[], boolean][] = [
    ['http://abc1.com', ['*://*:*', 'bbc.com'], true],
    ['http://abc2.com', ['*:*', 'bbc.com'], true],
    ['http://abc3.com', ['*', 'bbc.com'], true],
    ['http://abc4.com', ['http://*', 'bbc.com'], true],
    ['http://abc5.com', ['http://abc5.com:*', 'bbc.com'], true],
    ['http://abc.com:80', ['*://*:*', 'bbc.com'], true],
    ['http://abc.com:81', ['*:*', 'bbc.com'], true],
    ['http://abc.com:82', ['*:82', 'bbc.com'], true],
    ['http://abc.com:83', ['http://*:83', 'bbc.com'], true],
    ['http://abc.com:84', ['abc.com:*', 'bbc.com'], true],
    ['http://abc.com:85', ['*.abc.com:85', 'bbc.com'], true],
    ['http://abc.com:86', ['*.com:86'], true],
    ['http://abc.def.ghc.com:87', ['*.com:87'], true],
    ['http://abc.def.ghc.com:88', ['*.ghc.com:88'], true],
    ['http://abc.def.ghc.com:89', ['*.def.ghc.com:89'], true],
    ['http://abc.com:90', ['abc.com', 'bbc.com'], true],
    ['http://abc.com:91', ['abc.com:91', 'bbc.com'], true],
    ['http://abc.com:92', ['http://abc.com:92'], true],
    ['http://abc.com:93', ['http://abc.com', 'bbc.com'], true],
    ['http://abc6.com', ['abc6.com', 'bbc.com'], true],
    ['http://abc7.com', ['bbc.com', 'abc7.com'], true],
    ['http://abc8.com', ['bbc.com', 'abc8.com', 'def'], true],
    ['http://abc9.com', ['http://other.com', 'bbc.com'], false],
    ['http://abc10.com', ['http://*.other.com', 'bbc'], false],
    ['https://abc12.com', ['http://abc12.com', 'bbc.com'], false],
    ['http://abc13.com:80', ['http://abc13.com:8080', 'bbc.com'], false],
    ['http://y:80', ['http://x'], false],
  ];

  it("matches as Relay's own test table says", () => {
    for (const [url, patterns, expected] of relayCases) {
      const check = compileAllowedOrigins(patterns);
      const admitted = check === undefined || check(requestOrigin(url, undefined));
      expect({ url, patterns, admitted }).toEqual({ url, patterns, admitted: expected });
    }
  });

  it('lowercases patterns and drops their trailing slash, as Sentry hands them to Relay', () => {
    const check = compileAllowedOrigins(['HTTPS://App.Example/'])!;
    expect(check(requestOrigin('https://app.example', undefined))).toBe(true);
    expect(check(requestOrigin('https://APP.example:443', undefined))).toBe(true);
    expect(check(requestOrigin('http://app.example', undefined))).toBe(false);
  });

  it('reads the Origin, else the Referer; an unusable one (null, not http(s)) is an origin that matches nothing', () => {
    expect(requestOrigin('https://a.example', 'https://b.example/page')).toEqual({ scheme: 'https', domain: 'a.example', port: null });
    expect(requestOrigin(undefined, 'http://b.example:8080/page?q=1')).toEqual({ scheme: 'http', domain: 'b.example', port: '8080' });
    // Stricter than Relay, which reads these as no origin at all and admits them.
    expect(requestOrigin('null', 'https://b.example/')).toBeNull();
    expect(requestOrigin('chrome-extension://abc', undefined)).toBeNull();
    expect(requestOrigin(undefined, 'file:///home/me/page.html')).toBeNull();
    expect(requestOrigin(undefined, undefined)).toBeUndefined();
    const check = compileAllowedOrigins(['*.example'])!;
    expect(check(null)).toBe(false);
    expect(check(undefined)).toBe(true);
  });

  it('trims trailing slashes only (its cost is in test/input-cost.test.ts)', () => {
    const inner = `a${'/'.repeat(1000)}x`;
    expect(trimTrailingSlashes(inner)).toBe(inner);
    expect(trimTrailingSlashes(`${inner}////`)).toBe(inner);
    expect(trimTrailingSlashes('////')).toBe('');
  });

  it('admits a request without an origin, and no origin when the list is empty', () => {
    const none = compileAllowedOrigins([])!;
    expect(none(undefined)).toBe(true);
    expect(none(requestOrigin('https://a.example', undefined))).toBe(false);
    expect(compileAllowedOrigins(['example.com', '*'])).toBeUndefined();
  });

  it("accepts what Sentry's OriginField accepts", () => {
    for (const ok of ['*', 'example.com', '*.example.com', 'https://example.com', 'https://example.com/path', '*://example.com', 'bücher.example', 'http://']) {
      expect(isAcceptableOrigin(ok), ok).toBe(true);
    }
    for (const bad of ['example.com:8080', '*:8080', 'http://example.com:80/', 'a..example', `${'x'.repeat(64)}.example`]) {
      expect(isAcceptableOrigin(bad), bad).toBe(false);
    }
  });
});

const t = suiteFixture(async (onCleanup) => {
  const acme = await startAcme();
  const { h, org, project, owner } = acme;
  onCleanup(() => h.close());
  const seed = acme.seed;
  const member = await seed.caller(org, 'member@acme.example', 'member');
  return { h, org, project, owner, member };
});

const put = (body: unknown, token = t.owner) => request(t.h, 'PUT', '/api/0/projects/acme/web/', { token, body });
const allowed = async () => (await request(t.h, 'GET', '/api/0/projects/acme/web/', { token: t.owner })).body.allowedDomains as string[];

describe('allowedDomains over the project API', () => {
  it("is Sentry's default, every domain, until set", async () => {
    expect(await allowed()).toEqual(['*']);
  });

  it('is set by PUT, blanks dropped, and audited', async () => {
    const res = await put({ allowedDomains: [' *.example.com ', '', 'https://app.test'] });
    expect(res.status).toBe(200);
    expect(res.body.allowedDomains).toEqual(['*.example.com', 'https://app.test']);
    expect(await allowed()).toEqual(['*.example.com', 'https://app.test']);
    const [entry] = await t.h.db.stores.auditLog.list(t.org.id);
    expect(entry).toMatchObject({ event: 'project.edit' });
    expect(JSON.parse(entry!.data)).toMatchObject({ 'sentry:origins': ['*.example.com', 'https://app.test'] });
    await put({ allowedDomains: ['*'] });
  });

  it("answers Sentry's 400s and writes nothing", async () => {
    const cases: [unknown, unknown][] = [
      [[], { allowedDomains: ['Empty value will block all requests, use * to accept from all domains'] }],
      [['', '  '], { allowedDomains: ['Empty value will block all requests, use * to accept from all domains'] }],
      [['example.com', 'example.com:8080'], { allowedDomains: { '1': ['example.com:8080 is not an acceptable domain'] } }],
      [[true], { allowedDomains: { '0': ['Not a valid string.'] } }],
      ['example.com', { allowedDomains: ['Expected a list of items but got type "str".'] }],
      [null, { allowedDomains: ['This field may not be null.'] }],
      [Array(1001).fill('example.com'), { allowedDomains: ['Ensure this field has no more than 1000 elements.'] }],
      [[`${'a'.repeat(1000)}.example`], { allowedDomains: { '0': ['Ensure this field has no more than 1000 characters.'] } }],
    ];
    for (const [value, errors] of cases) {
      const res = await put({ allowedDomains: value, name: 'renamed' });
      expect({ value, status: res.status, body: res.body }).toEqual({ value, status: 400, body: errors });
    }
    expect(await allowed()).toEqual(['*']);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/web/', { token: t.owner })).body.name).toBe('web');
  });

  it('needs project:write: a member may not change it', async () => {
    const res = await put({ allowedDomains: ['example.com'] }, t.member);
    expect(res.status).toBe(403);
    expect(await allowed()).toEqual(['*']);
  });
});

describe('the DSN endpoints enforce it', () => {
  const CORS = { detail: 'event submission rejected with_reason: Cors' };
  const post = (headers: Record<string, string>) => send(t.h, envelopePath(t.project, key), { headers, body: eventEnvelope(eventId()) });

  const key = suiteFixture(async () => {
    const key = await createKey(t.h, t.project, { count: 3, window: 3600 });
    const result = await t.h.services.projects.update(t.project, { allowedDomains: ['*.example.com', 'https://app.test'] }, TEST_ACTOR);
    expect(result.ok).toBe(true);
    return key;
  });

  it('admits a matching Origin or Referer, and a request with neither', async () => {
    expect((await post({ origin: 'https://www.example.com' })).status).toBe(200);
    expect((await post({ referer: 'https://app.test/checkout?step=2' })).status).toBe(200);
    expect((await post({})).status).toBe(200);
  });

  it('refuses any other origin with 403 Cors, counted, and spending no quota', async () => {
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.test' },
      { referer: 'http://app.test/' },
      { origin: 'null', referer: 'https://evil.test/' },
      { origin: 'https://example.com.evil.test' },
      // A sandboxed iframe on an allowed page, and pages that are not web pages at all.
      { origin: 'null', referer: 'https://www.example.com/' },
      { origin: 'chrome-extension://abcdef' },
      { referer: 'file:///C:/page.html' },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      expect({ headers, status: res.status, body: res.json }).toEqual({ headers, status: 403, body: CORS });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
    // Three events a window: the three above were admitted, the refusals spent nothing.
    expect((await post({ origin: 'https://example.com' })).status).toBe(429);
    const metrics = await (await fetch(`${t.h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`clientkeys_ingest_requests_total\\{[^}]*outcome="refused"[^}]*reason="cors"[^}]*\\} ${refused.length}`));
  });

  it('follows a change at once, with no restart', async () => {
    const other = await createKey(t.h, t.project);
    const path = envelopePath(t.project, other);
    const fromShop = { origin: 'https://shop.example' };
    expect((await send(t.h, path, { headers: fromShop, body: eventEnvelope() })).status).toBe(403);
    await put({ allowedDomains: ['shop.example'] });
    expect((await send(t.h, path, { headers: fromShop, body: eventEnvelope() })).status).toBe(200);
    expect((await send(t.h, path, { headers: { origin: 'https://www.example.com' }, body: eventEnvelope() })).status).toBe(403);
    await put({ allowedDomains: ['*'] });
    expect((await send(t.h, path, { headers: { origin: 'https://anything.test' }, body: eventEnvelope() })).status).toBe(200);
  });
});
