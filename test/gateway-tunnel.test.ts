/**
 * The tunnel (TUNNEL_PATH): envelopes posted as `@sentry/browser`'s `tunnel` option posts them,
 * keyed by the envelope header's `dsn`. One of this server's own DSNs goes through the same gate
 * and delivery as `/api/<id>/envelope/`; an envelope naming another host, project or key is refused
 * and never forwarded. Then the real SDK in Chromium with `tunnel` set.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { backendDsn, queueDrained, RecordingBackend } from './helpers/gateway.ts';
import { ingestConfig, request, startOrg, TEST_ACTOR } from './helpers/harness.ts';
import { createKey, eventEnvelope, eventId, send, setActive } from './helpers/ingest.ts';
import { startSite } from './helpers/loader-site.ts';
import { suiteFixture } from './helpers/fixture.ts';

const BACKEND_KEY = 'c'.repeat(32);
const SDK_VERSION = (JSON.parse(readFileSync(new URL('../node_modules/@sentry/browser/package.json', import.meta.url), 'utf8')) as { version: string }).version;

const t = suiteFixture(async (onCleanup) => {
  const backend = new RecordingBackend();
  const base = await backend.start();
  onCleanup(() => backend.stop());
  const { h, seed, org } = await startOrg({ ingest: ingestConfig({ tunnelPath: '/t/' }) }, { reachablePublicUrl: true });
  onCleanup(() => h.close());
  const project = await seed.project(org, 'web');
  const other = await seed.project(org, 'api');
  const key = await seed.defaultKey(project);
  const otherKey = await seed.defaultKey(other);
  const owner = await seed.caller(org, 'owner@acme.example');
  await h.services.upstreams.set(project, backendDsn(base, BACKEND_KEY, 9), TEST_ACTOR);
  await h.services.upstreams.set(other, backendDsn(base, BACKEND_KEY, 10), TEST_ACTOR);
  return { h, backend, project, other, key, otherKey, owner };
});

const host = () => new URL(t.h.baseUrl).host;
const dsn = (publicKey: string, projectId: number | string, at = host()) => `http://${publicKey}@${at}/${projectId}`;
const idOf = (body: Buffer) => JSON.parse(body.toString().split('\n')[0]!).event_id as string;

async function tunnel(body: string, headers: Record<string, string> = { 'content-type': 'text/plain;charset=UTF-8' }) {
  return send(t.h, '/t/', { body, headers });
}

describe('the tunnel', () => {
  it("takes an envelope naming this server's DSN and delivers it to the project's backend under the backend's key", async () => {
    const before = t.backend.received.length;
    const id = eventId();
    const answer = await tunnel(eventEnvelope(id, { dsn: dsn(t.key.public_key, t.project.id) }));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ id });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    await queueDrained(t.h);
    const got = t.backend.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.url).toMatch(/^\/api\/9\/envelope\/(\?|$)/);
    const text = got[0]!.body.toString();
    expect(JSON.parse(text.split('\n')[0]!).dsn).toBe(`http://${BACKEND_KEY}@127.0.0.1:${t.backend.port}/9`);
    expect(text).not.toContain(t.key.public_key);
    expect(idOf(got[0]!.body)).toBe(id);
  });

  it('refuses an envelope naming another host, or none, and forwards nothing', async () => {
    const before = t.backend.received.length;
    for (const elsewhere of ['sentry.io', 'o1.ingest.sentry.io', `127.0.0.1:${t.backend.port}`, `${new URL(t.h.baseUrl).hostname}.evil.example:${new URL(t.h.baseUrl).port}`, `localhost:${new URL(t.h.baseUrl).port}`]) {
      const answer = await tunnel(eventEnvelope(eventId(), { dsn: dsn(t.key.public_key, t.project.id, elsewhere) }));
      expect(answer.status).toBe(401);
      expect(answer.json.detail).toBe('bad envelope authentication header');
      expect(answer.json.causes[0]).toMatch(/another server/);
    }
    // A path prefix this server does not have is another server too.
    expect((await tunnel(eventEnvelope(eventId(), { dsn: `http://${t.key.public_key}@${host()}/prefix/${t.project.id}` }))).status).toBe(401);
    expect((await tunnel(eventEnvelope(eventId()))).status).toBe(401);
    expect((await tunnel('not an envelope\n')).status).toBe(401);
    await queueDrained(t.h);
    expect(t.backend.received.length).toBe(before);
  });

  it("refuses this server's DSN with another project's id, an unknown key or a disabled one, as the envelope endpoint does", async () => {
    const before = t.backend.received.length;
    const wrongProject = await tunnel(eventEnvelope(eventId(), { dsn: dsn(t.key.public_key, t.other.id) }));
    expect(wrongProject.status).toBe(403);
    expect((await tunnel(eventEnvelope(eventId(), { dsn: dsn('d'.repeat(32), t.project.id) }))).status).toBe(403);
    const spare = await createKey(t.h, t.project);
    await setActive(t.h, t.project, spare, false);
    expect((await tunnel(eventEnvelope(eventId(), { dsn: dsn(spare.public_key, t.project.id) }))).status).toBe(403);
    // The other project's own key goes to the other project's backend.
    expect((await tunnel(eventEnvelope(eventId(), { dsn: dsn(t.otherKey.public_key, t.other.id) }))).status).toBe(200);
    await queueDrained(t.h);
    expect(t.backend.received.slice(before).map((r) => r.url.split('?')[0])).toEqual(['/api/10/envelope/']);
  });

  it('counts what it accepted and refused in the key health and in the metrics', async () => {
    const health = (await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${t.key.public_key}/health/`, { token: t.owner })).body as any;
    expect(health.lastAccepted).not.toBeNull();
    // The one envelope that named this key with the other project's id.
    expect(health.refused.project_mismatch).toBe(1);
    const metrics = await (await fetch(`${t.h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/outcome="accepted"[^\n]*endpoint="tunnel"|endpoint="tunnel"[^\n]*outcome="accepted"/);
    expect(metrics).toMatch(/reason="bad_envelope_auth"[^\n]*endpoint="tunnel"|endpoint="tunnel"[^\n]*reason="bad_envelope_auth"/);
  });

  it('answers a CORS preflight', async () => {
    const answer = await fetch(`${t.h.baseUrl}/t/`, { method: 'OPTIONS', headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-methods')).toBe('POST');
  });
});

describe('@sentry/browser with tunnel, in Chromium', () => {
  const chromium = suiteFixture(async (onCleanup) => {
    const site = await startSite();
    onCleanup(() => site.close());
    const browser = await launchChromium();
    onCleanup(() => browser.close());
    return { browser, site };
  });

  it("sends the page's event through the tunnel only; it reaches the backend under the backend's key", async () => {
    const before = t.backend.received.length;
    const page = `<!doctype html><html><head><meta charset="utf-8">
      <script src="${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.min.js" crossorigin="anonymous"></script>
      <script>
        Sentry.init({ dsn: ${JSON.stringify(dsn(t.key.public_key, t.project.id))}, tunnel: ${JSON.stringify(`${t.h.baseUrl}/t/`)} });
        window.sentId = Sentry.captureMessage('through the tunnel');
      </script></head><body>a page</body></html>`;
    chromium.site.set('/tunnel.html', { body: page });
    const context = await chromium.browser.newContext();
    try {
      const tab = await context.newPage();
      const requests: string[] = [];
      const answers: number[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      tab.on('response', (r) => {
        if (r.url().startsWith(`${t.h.baseUrl}/t/`)) answers.push(r.status());
      });
      await tab.goto(`${chromium.site.origin}/tunnel.html`);
      const sentId = (await tab.evaluate('window.sentId')) as string;
      expect(sentId).toMatch(/^[0-9a-f]{32}$/);
      const deadline = Date.now() + 15_000;
      // The backend may get the event before the browser reports the tunnel's answer: wait for both.
      while (!t.backend.received.slice(before).some((r) => idOf(r.body) === sentId) || answers.length === 0) {
        if (Date.now() > deadline) throw new Error(`the backend never got ${sentId}; the tunnel answered ${answers.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(answers).toContain(200);
      // The browser spoke to the site and to the tunnel, never to a DSN endpoint.
      expect(requests.filter((u) => u.includes('/api/'))).toEqual([]);
      const delivered = t.backend.received.slice(before).find((r) => idOf(r.body) === sentId)!;
      expect(delivered.url).toMatch(/^\/api\/9\/envelope\//);
      expect(delivered.body.toString()).not.toContain(t.key.public_key);
      expect(delivered.body.toString()).toContain(BACKEND_KEY);
    } finally {
      await context.close();
    }
  });
});
