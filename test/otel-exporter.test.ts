/**
 * The OpenTelemetry Collector's Sentry exporter (open-telemetry/opentelemetry-collector-contrib,
 * exporter/sentryexporter, dynamic mode) against clientkeys, step by step as its Go code does it
 * (sentry_client.go, sentry_exporter.go): list the organization's projects and each project's keys
 * (following the Link cursors), take the first active key's `dsn.public`, derive the OTLP URLs
 * from its scheme, host and project id (`…/integration/otlp/v1/traces/`, with the slash), post
 * protobuf with `x-sentry-auth: sentry sentry_key=…`, and refetch the keys only when a 403's body
 * contains `event submission rejected with_reason: ProjectId`.
 *
 * No Go toolchain here, so the client is these steps in TypeScript, field for field; the DSN is
 * parsed as sentry-go's NewDsn does (GetHost is the host name alone: the exporter drops the DSN's
 * port, so the request is delivered to the harness's port with the DSN host as Host, as a
 * collector reaching clientkeys on the scheme's default port would send it).
 */
import * as http from 'node:http';
import { describe, expect, it } from 'vitest';
import { request, Seed, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { seed, ...started } = await startOrg({ publicUrl: 'https://sentry.example.com' });
  const { h, org } = started;
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  const checkout = await seed.project(org, 'checkout', team);
  await seed.project(org, 'billing', team);
  const token = await seed.caller(org, 'collector@acme.example', 'member', ['org:read', 'project:read'], team);
  return { h, org, checkout, token };
});

/** sentryHTTPError: a non-2xx answer with its body. */
class SentryHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`request failed with status ${statusCode}: ${body}`);
  }
}

/** parseNextCursor: the rel="next" part of Link, whether it has results, its cursor. */
function parseNextCursor(link: string | null): { cursor: string; hasMore: boolean; found: boolean } {
  if (!link) return { cursor: '', hasMore: false, found: false };
  for (const raw of link.split(',')) {
    const part = raw.trim();
    if (!part.includes('rel="next"')) continue;
    const match = /cursor="([^"]*)"/.exec(part);
    return { cursor: match?.[1] ?? '', hasMore: part.includes('results="true"'), found: true };
  }
  return { cursor: '', hasMore: false, found: false };
}

/** GetAllProjects / GetProjectKeys: every page, `?cursor=` appended to the base URL. */
async function getAllPages<T>(base: string): Promise<T[]> {
  const out: T[] = [];
  let cursor = '';
  for (;;) {
    const url = cursor ? `${base}?cursor=${encodeURIComponent(cursor)}` : base;
    const res = await fetch(`${t.h.baseUrl}${url}`, { headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' } });
    if (res.status !== 200) throw new SentryHttpError(res.status, await res.text());
    out.push(...((await res.json()) as T[]));
    const next = parseNextCursor(res.headers.get('link'));
    if (!next.found || !next.hasMore || next.cursor === '') return out;
    cursor = next.cursor;
  }
}

interface ProjectKey {
  id: string;
  public: string;
  isActive: boolean;
  projectId: number;
  dsn: { public: string };
}

interface OtlpEndpoints {
  tracesUrl: string;
  logsUrl: string;
  publicKey: string;
}

/** sentry-go's NewDsn, as far as the exporter reads it: scheme, host name, project id. */
function parseDsn(dsn: string): { scheme: string; host: string; projectId: string } {
  const url = new URL(dsn);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('invalid scheme');
  if (!url.username) throw new Error('empty username');
  const projectId = url.pathname.split('/').at(-1) ?? '';
  if (!/^\d+$/.test(projectId)) throw new Error('invalid project id');
  return { scheme: url.protocol.slice(0, -1), host: url.hostname, projectId };
}

/** GetOTLPEndpoints: the first active key's DSN. */
async function getOtlpEndpoints(projectSlug: string): Promise<OtlpEndpoints> {
  const keys = await getAllPages<ProjectKey>(`/api/0/projects/acme/${projectSlug}/keys/`);
  const active = keys.find((k) => k.isActive);
  if (!active) throw new Error(`no active project keys found for project acme/${projectSlug}`);
  const dsn = parseDsn(active.dsn.public);
  return {
    tracesUrl: `${dsn.scheme}://${dsn.host}/api/${dsn.projectId}/integration/otlp/v1/traces/`,
    logsUrl: `${dsn.scheme}://${dsn.host}/api/${dsn.projectId}/integration/otlp/v1/logs/`,
    publicKey: active.public,
  };
}

/** sendOTLPData, delivered to the harness (see the file comment). */
function sendOtlp(endpoint: string, data: Buffer, publicKey: string, contentType = 'application/x-protobuf'): Promise<{ status: number; body: string }> {
  const target = new URL(endpoint);
  const port = Number(new URL(t.h.baseUrl).port);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: target.pathname, headers: { host: target.host, 'content-type': contentType, 'x-sentry-auth': `sentry sentry_key=${publicKey}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** The exporter's cache and routeTracesByProject: send, and on the ProjectId refusal refetch once. */
class Exporter {
  readonly cache = new Map<string, OtlpEndpoints>();
  keyFetches = 0;

  async start(): Promise<void> {
    for (const project of await getAllPages<{ slug: string }>('/api/0/organizations/acme/projects/')) {
      this.cache.set(project.slug, await this.fetchEndpoints(project.slug));
    }
  }

  private async fetchEndpoints(slug: string): Promise<OtlpEndpoints> {
    this.keyFetches += 1;
    return getOtlpEndpoints(slug);
  }

  async pushTraces(slug: string, data: Buffer): Promise<void> {
    const endpoint = this.cache.get(slug) ?? (await this.fetchEndpoints(slug));
    this.cache.set(slug, endpoint);
    const res = await sendOtlp(endpoint.tracesUrl, data, endpoint.publicKey);
    if (res.status >= 200 && res.status < 300) return;
    if (res.status === 403 && res.body.includes('event submission rejected with_reason: ProjectId')) {
      this.cache.delete(slug);
      const fresh = await this.fetchEndpoints(slug);
      this.cache.set(slug, fresh);
      const retry = await sendOtlp(fresh.tracesUrl, data, fresh.publicKey);
      if (retry.status >= 200 && retry.status < 300) return;
      throw new SentryHttpError(retry.status, retry.body);
    }
    throw new SentryHttpError(res.status, res.body);
  }
}

/** An ExportTraceServiceRequest with one empty ResourceSpans, protobuf-encoded (field 1, length 0). */
const TRACES = Buffer.from([0x0a, 0x00]);

describe('the Sentry exporter of the OpenTelemetry Collector', () => {
  it('finds every project and its first active key, and derives OTLP URLs clientkeys accepts', async () => {
    const exporter = new Exporter();
    await exporter.start();
    expect([...exporter.cache.keys()].sort()).toEqual(['billing', 'checkout']);
    const endpoint = exporter.cache.get('checkout')!;
    expect(endpoint.tracesUrl).toBe(`https://sentry.example.com/api/${t.checkout.id}/integration/otlp/v1/traces/`);
    await exporter.pushTraces('checkout', TRACES);
    // The logs URL, and the key's own dsn.otlp_* URLs (without the trailing slash), work too.
    expect((await sendOtlp(endpoint.logsUrl, TRACES, endpoint.publicKey)).status).toBe(200);
    const [key] = (await request(t.h, 'GET', '/api/0/projects/acme/checkout/keys/', { token: t.token })).body;
    for (const url of [key.dsn.otlp_traces, key.dsn.otlp_logs]) {
      expect(url).not.toMatch(/\/$/);
      const res = await sendOtlp(url, TRACES, key.public, 'application/json');
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
  });

  it("refetches the keys on Relay's refusal text and carries on with the project's next active key", async () => {
    const exporter = new Exporter();
    await exporter.start();
    const stale = exporter.cache.get('checkout')!;
    const owner = await new Seed(t.h.services).caller(t.org, 'owner@acme.example');
    // The key is replaced: a new one, and the old one disabled.
    const created = await request(t.h, 'POST', '/api/0/projects/acme/checkout/keys/', { token: owner, body: { name: 'rotated' } });
    expect(created.status).toBe(201);
    expect((await request(t.h, 'PUT', `/api/0/projects/acme/checkout/keys/${stale.publicKey}/`, { token: owner, body: { isActive: false } })).status).toBe(200);

    const refused = await sendOtlp(stale.tracesUrl, TRACES, stale.publicKey);
    expect(refused).toEqual({ status: 403, body: '{"detail":"event submission rejected with_reason: ProjectId"}' });

    const fetchesBefore = exporter.keyFetches;
    await exporter.pushTraces('checkout', TRACES);
    expect(exporter.keyFetches).toBe(fetchesBefore + 1);
    expect(exporter.cache.get('checkout')!.publicKey).toBe(created.body.public);
    // Other refusals are not the ProjectId text: no refetch for them.
    const fresh = exporter.cache.get('checkout')!;
    expect((await sendOtlp(fresh.tracesUrl, TRACES, fresh.publicKey, 'text/plain')).status).toBe(415);
    await exporter.pushTraces('checkout', TRACES);
    expect(exporter.keyFetches).toBe(fetchesBefore + 1);
  });

  it('gets the ProjectId refusal for a deleted project, then cannot find the project', async () => {
    const exporter = new Exporter();
    await exporter.start();
    const endpoint = exporter.cache.get('billing')!;
    const owner = await new Seed(t.h.services).caller(t.org, 'owner2@acme.example');
    expect((await request(t.h, 'DELETE', '/api/0/projects/acme/billing/', { token: owner })).status).toBe(204);
    const refused = await sendOtlp(endpoint.tracesUrl, TRACES, endpoint.publicKey);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('event submission rejected with_reason: ProjectId');
    await expect(exporter.pushTraces('billing', TRACES)).rejects.toMatchObject({ statusCode: 404 });
  });
});
