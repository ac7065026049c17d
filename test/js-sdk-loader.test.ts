/**
 * `/js-sdk-loader/{public_key}(.min)?.js` and `/js-sdk/{version}/{file}` over HTTP: the bundle and
 * options chosen as Sentry chooses them (the table of tests/sentry/web/frontend/test_js_sdk_loader.py),
 * this server's own bundles by default with integrity hashes that match what it serves, Sentry's
 * CDN where configured or where the package has no bundle, a no-op for unknown and disabled keys,
 * a rotated key's loader on its successor. What the loader does in a browser is
 * js-sdk-loader-browser.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SENTRY_CDN_SDK_URL } from '../src/config.ts';
import { LOADER_OPTION_NAMES, type LoaderOptions } from '../src/domain/keys.ts';
import { loaderBundle, sdkUrl } from '../src/loader/bundle.ts';
import { loadSdkAssets } from '../src/loader/sdk-assets.ts';
import { selectSdkVersion } from '../src/loader/sdk-version.ts';
import { request, Seed, startHarness, startOrg, TEST_ACTOR } from './helpers/harness.ts';
import { createKey, send, setActive } from './helpers/ingest.ts';
import { suiteFixture } from './helpers/fixture.ts';

const url = (version: string, options: LoaderOptions) => sdkUrl(SENTRY_CDN_SDK_URL, version, loaderBundle(version, { dynamicSdkLoaderOptions: options }, 'dsn').modifier);
const SDK_VERSION = (JSON.parse(readFileSync(new URL('../node_modules/@sentry/browser/package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('the bundle a key asks for', () => {
  it.each([
    [{ hasPerformance: true }, '/7.37.0/bundle.tracing.es5.min.js'],
    [{ hasDebug: true }, '/7.37.0/bundle.es5.debug.min.js'],
    [{ hasReplay: true }, '/7.37.0/bundle.replay.min.js'],
    [{ hasPerformance: true, hasReplay: true }, '/7.37.0/bundle.tracing.replay.min.js'],
    [{ hasReplay: true, hasDebug: true }, '/7.37.0/bundle.replay.debug.min.js'],
    [{ hasPerformance: true, hasDebug: true }, '/7.37.0/bundle.tracing.es5.debug.min.js'],
    [{ hasPerformance: true, hasDebug: true, hasReplay: true }, '/7.37.0/bundle.tracing.replay.debug.min.js'],
    [{ hasFeedback: true }, '/7.37.0/bundle.feedback.min.js'],
    [{ hasFeedback: true, hasDebug: true }, '/7.37.0/bundle.feedback.debug.min.js'],
    [{ hasPerformance: true, hasFeedback: true }, '/7.37.0/bundle.tracing.replay.feedback.min.js'],
    [{ hasReplay: true, hasFeedback: true }, '/7.37.0/bundle.replay.feedback.min.js'],
    [{ hasPerformance: true, hasReplay: true, hasFeedback: true }, '/7.37.0/bundle.tracing.replay.feedback.min.js'],
    [{ hasPerformance: true, hasReplay: true, hasFeedback: true, hasDebug: true }, '/7.37.0/bundle.tracing.replay.feedback.debug.min.js'],
    [{}, '/7.37.0/bundle.es5.min.js'],
  ])('v7 %j → %s', (options, expected) => {
    expect(url('7.37.0', options)).toBe(`https://browser.sentry-cdn.com${expected}`);
  });

  it.each([
    [{ hasLogsAndMetrics: true }, '/10.0.0/bundle.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasPerformance: true }, '/10.0.0/bundle.tracing.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasDebug: true }, '/10.0.0/bundle.logs.metrics.debug.min.js'],
    [{ hasLogsAndMetrics: true, hasReplay: true }, '/10.0.0/bundle.replay.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasPerformance: true, hasReplay: true }, '/10.0.0/bundle.tracing.replay.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasFeedback: true }, '/10.0.0/bundle.tracing.replay.feedback.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasReplay: true, hasFeedback: true }, '/10.0.0/bundle.tracing.replay.feedback.logs.metrics.min.js'],
    [{ hasLogsAndMetrics: true, hasPerformance: true, hasReplay: true, hasFeedback: true, hasDebug: true }, '/10.0.0/bundle.tracing.replay.feedback.logs.metrics.debug.min.js'],
    [{}, '/10.0.0/bundle.min.js'],
  ])('v10 %j → %s', (options, expected) => {
    expect(url('10.0.0', options)).toBe(`https://browser.sentry-cdn.com${expected}`);
  });

  it('serves logs and metrics from v10 only, ES5 for v7 only, no feature bundles before v7', () => {
    expect(url('9.99.0', { hasLogsAndMetrics: true })).toMatch(/\/9\.99\.0\/bundle\.min\.js$/);
    expect(url('8.10.0', { hasLogsAndMetrics: true })).toMatch(/\/8\.10\.0\/bundle\.min\.js$/);
    expect(url('8.0.0', {})).toMatch(/\/8\.0\.0\/bundle\.min\.js$/);
    expect(url('6.19.7', { hasPerformance: true, hasReplay: true })).toMatch(/\/6\.19\.7\/bundle\.min\.js$/);
  });

  it('sets init options only for what the key enabled; feedback is an integration, not an option', () => {
    const both = loaderBundle('7.37.0', { dynamicSdkLoaderOptions: { hasPerformance: true, hasFeedback: true } }, 'D');
    expect(both.config).toEqual({ dsn: 'D', tracesSampleRate: 1 });
    expect(both.addFeedback).toBe(true);
    const logs = loaderBundle('10.0.0', { dynamicSdkLoaderOptions: { hasReplay: true, hasDebug: true, hasLogsAndMetrics: true } }, 'D');
    expect(logs.config).toEqual({ dsn: 'D', replaysSessionSampleRate: 0.1, replaysOnErrorSampleRate: 1, debug: true, enableLogs: true });
    expect(logs.addFeedback).toBe(false);
    expect(loaderBundle('6.19.7', { dynamicSdkLoaderOptions: { hasFeedback: true } }, 'D').addFeedback).toBe(false);
  });

  it('picks the highest release of the chosen major; "latest" means the latest before v8', () => {
    expect(selectSdkVersion('7.x', ['7.3.15'])).toBe('7.3.15');
    expect(selectSdkVersion('8.x', ['8.1.0', '8.0.0', '8', '8.0.0-alpha.0'])).toBe('8.1.0');
    expect(selectSdkVersion('latest', ['8.1.0', '7.1.0', '7.0.1', '6.1.0'])).toBe('7.1.0');
    expect(selectSdkVersion('latest', ['9.1.0', '8.1.0', '6.1.0', '5.0.0'])).toBe('6.1.0');
    expect(selectSdkVersion('latest', ['8.1.0', '8.0.0', '8', '8.0.0-alpha.0', '7.100.0', '6.1.0', '5.0.0'])).toBe('7.100.0');
    expect(selectSdkVersion('1.x', ['10.0.0', '11.0.0'])).toBe('10.78.0');
    expect(selectSdkVersion('10.x')).toMatch(/^10\.\d+\.\d+$/);
  });

  it('fills the URL template as Sentry does for none, one or two %s', () => {
    expect(sdkUrl('https://cdn.example/fixed.js', '7.1.0', '.es5')).toBe('https://cdn.example/fixed.js');
    expect(sdkUrl('https://cdn.example/%s/bundle.min.js', '7.1.0', '.es5')).toBe('https://cdn.example/7.1.0/bundle.min.js');
  });
});

describe("the package's SDK bundles", () => {
  const assets = suiteFixture(() => loadSdkAssets());

  it('are built from the pinned @sentry/browser, with hashes of their bytes', () => {
    expect(assets.version).toBe(SDK_VERSION);
    for (const [name, asset] of assets.files) {
      expect(asset.integrity, name).toBe(`sha384-${createHash('sha384').update(asset.body).digest('base64')}`);
      expect(asset.body.subarray(0, 200).toString(), name).toContain(`@sentry/browser ${SDK_VERSION}`);
    }
  });

  it('hold a bundle for every combination of the five loader options, and nothing else', () => {
    const wanted = new Set<string>();
    for (let bits = 0; bits < 1 << LOADER_OPTION_NAMES.length; bits += 1) {
      const options = Object.fromEntries(LOADER_OPTION_NAMES.map((name, i) => [name, (bits & (1 << i)) !== 0]));
      wanted.add(`bundle${loaderBundle(assets.version, { dynamicSdkLoaderOptions: options }, 'dsn').modifier}.min.js`);
    }
    expect([...assets.files.keys()].sort()).toEqual([...wanted].sort());
    expect(wanted.size).toBe(24);
  });

  it("carry each feature only where it belongs: a shim stands in for the others", () => {
    const text = (name: string) => assets.files.get(name)!.body.toString();
    // The shims' warning names what is missing; the real integrations' names are in their code.
    expect(text('bundle.min.js')).toContain('even though this bundle does not include it');
    expect(text('bundle.min.js')).not.toContain('rrweb');
    expect(text('bundle.replay.min.js')).toContain('rrweb');
    expect(assets.files.get('bundle.min.js')!.body.length).toBeLessThan(assets.files.get('bundle.tracing.replay.min.js')!.body.length / 2);
  });
});

describe('the loader route', () => {
  const t = suiteFixture(async (onCleanup) => {
    const { h, seed, org } = await startOrg();
    onCleanup(() => h.close());
    const project = await seed.project(org, 'web');
    const key = await seed.defaultKey(project);
    const owner = await seed.caller(org, 'owner@acme.example');
    return { h, project, key, owner };
  });

  const CACHE = 'public, max-age=3600, s-maxage=60, stale-while-revalidate=315360000, stale-if-error=315360000';
  const get = (path: string, headers?: Record<string, string>) => send(t.h, path, { method: 'GET', headers });
  /** The loader's arguments: (…, publicKey, sdkUrl, config, lazy, integrity, addFeedback). */
  function args(script: string) {
    const match = /'Sentry', ("[^"]*"), ("[^"]*"), (\{.*\}), (true|false), ("[^"]*"|null), (true|false)\);\s*$/.exec(script);
    if (!match) throw new Error(`no loader arguments in ${script.slice(-300)}`);
    const [, publicKey, sdkUrl, config, lazy, integrity, feedback] = match;
    return {
      publicKey: JSON.parse(publicKey!) as string,
      sdkUrl: JSON.parse(sdkUrl!) as string,
      config: JSON.parse(config!) as Record<string, unknown>,
      lazy: lazy === 'true',
      integrity: JSON.parse(integrity!) as string | null,
      addFeedback: feedback === 'true',
    };
  }

  it("serves the default key's loader with Sentry's headers, on this server's bundle with its integrity hash", async () => {
    const res = await get(`/js-sdk-loader/${t.key.public_key}.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe(CACHE);
    expect(res.headers.get('surrogate-key')).toBe(`project/${t.project.id} sdk/${SDK_VERSION} sdk-loader`);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('vary')).toBeNull();
    const loader = args(res.text);
    expect(loader).toEqual({
      publicKey: t.key.public_key,
      sdkUrl: `http://testserver/js-sdk/${SDK_VERSION}/bundle.tracing.replay.min.js`,
      config: { dsn: `http://${t.key.public_key}@testserver/${t.project.id}`, tracesSampleRate: 1, replaysSessionSampleRate: 0.1, replaysOnErrorSampleRate: 1 },
      lazy: false,
      integrity: expect.stringMatching(/^sha384-[A-Za-z0-9+/]{64}$/),
      addFeedback: false,
    });

    // The hash is the one of the bytes the bundle URL answers with.
    const bundle = await fetch(`${t.h.baseUrl}${new URL(loader.sdkUrl).pathname}`);
    const bytes = Buffer.from(await bundle.arrayBuffer());
    expect(`sha384-${createHash('sha384').update(bytes).digest('base64')}`).toBe(loader.integrity);

    const min = await get(`/js-sdk-loader/${t.key.public_key}.min.js`);
    expect(min.status).toBe(200);
    expect(args(min.text)).toEqual(loader);
    expect(min.text.length).toBeLessThan(res.text.length);
    expect(min.text).not.toMatch(/^\s*\/\//m);
  });

  it("follows the key's browserSdkVersion and options at once", async () => {
    const own = await createKey(t.h, t.project);
    await t.h.services.keys.update(t.project, own, { browserSdkVersion: '8.x', dynamicSdkLoaderOptions: { hasPerformance: false, hasReplay: false, hasDebug: true, hasFeedback: true } }, TEST_ACTOR);
    let loader = args((await get(`/js-sdk-loader/${own.public_key}.js`)).text);
    expect(loader.sdkUrl).toBe(`http://testserver/js-sdk/${SDK_VERSION}/bundle.feedback.debug.min.js`);
    expect(loader.config).toEqual({ dsn: expect.any(String), debug: true });
    expect(loader.addFeedback).toBe(true);
    expect(loader.lazy).toBe(false);

    await t.h.services.keys.update(t.project, own, { dynamicSdkLoaderOptions: { hasPerformance: false, hasReplay: false, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: true } }, TEST_ACTOR);
    loader = args((await get(`/js-sdk-loader/${own.public_key}.js`)).text);
    expect(loader.sdkUrl).toBe(`http://testserver/js-sdk/${SDK_VERSION}/bundle.logs.metrics.min.js`);
    expect(loader.config).toEqual({ dsn: expect.any(String), enableLogs: true });

    await t.h.services.keys.update(t.project, own, { dynamicSdkLoaderOptions: { hasPerformance: false, hasReplay: false, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false } }, TEST_ACTOR);
    loader = args((await get(`/js-sdk-loader/${own.public_key}.js`)).text);
    expect(loader).toMatchObject({ sdkUrl: `http://testserver/js-sdk/${SDK_VERSION}/bundle.min.js`, lazy: true });
  });

  it("loads Sentry's v7 bundle from its CDN for the choices before v8, which the package does not carry", async () => {
    const own = await createKey(t.h, t.project);
    for (const [choice, expected] of [
      ['7.x', /^https:\/\/browser\.sentry-cdn\.com\/7\.\d+\.\d+\/bundle\.tracing\.es5\.debug\.min\.js$/],
      ['latest', /^https:\/\/browser\.sentry-cdn\.com\/7\.\d+\.\d+\/bundle\.tracing\.es5\.debug\.min\.js$/],
      ['6.x', /^https:\/\/browser\.sentry-cdn\.com\/6\.\d+\.\d+\/bundle\.debug\.min\.js$/],
    ] as const) {
      await t.h.services.keys.update(t.project, own, { browserSdkVersion: choice, dynamicSdkLoaderOptions: { hasPerformance: true, hasReplay: false, hasDebug: true } }, TEST_ACTOR);
      const res = await get(`/js-sdk-loader/${own.public_key}.js`);
      const loader = args(res.text);
      expect(loader.sdkUrl, choice).toMatch(expected);
      expect(loader.integrity, choice).toBeNull();
      expect(res.headers.get('surrogate-key')).toMatch(new RegExp(`^project/${t.project.id} sdk/${choice === '6.x' ? 6 : 7}\\.\\d+\\.\\d+ sdk-loader$`));
    }
  });

  it('serves a no-op for an unknown or disabled key, with the same cache headers and no Surrogate-Key', async () => {
    const disabled = await createKey(t.h, t.project);
    await setActive(t.h, t.project, disabled, false);
    for (const path of [`/js-sdk-loader/${'f'.repeat(32)}.min.js`, `/js-sdk-loader/abc.js`, `/js-sdk-loader/${disabled.public_key}.js`]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe(CACHE);
      expect(res.headers.get('surrogate-key')).toBeNull();
      expect(res.text).toContain('No Sentry SDK is configured for this key');
      expect(res.text).not.toContain('js-sdk/');
    }
    expect((await get('/js-sdk-loader/nope.css')).status).toBe(404);
  });

  it("serves a rotated key's loader on its successor's DSN, and on its own while the successor is disabled", async () => {
    const old = await createKey(t.h, t.project);
    const rotated = await request(t.h, 'POST', `/api/0/projects/acme/web/keys/${old.public_key}/rotate/`, { token: t.owner, body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(201);
    const successor = rotated.body.public as string;
    const dsnOf = async (publicKey: string) => args((await get(`/js-sdk-loader/${publicKey}.js`)).text);

    let loader = await dsnOf(old.public_key);
    expect(loader.config.dsn).toBe(`http://${successor}@testserver/${t.project.id}`);
    // The page's script tag names the old key: the loader looks for that one among the scripts.
    expect(loader.publicKey).toBe(old.public_key);

    const successorRow = (await t.h.services.keys.list({ projectIds: [t.project.id], userKeysOnly: false }, { cursor: undefined, limit: 100 })).results.find((k) => k.public_key === successor)!;
    await setActive(t.h, t.project, successorRow, false);
    loader = await dsnOf(old.public_key);
    expect(loader.config.dsn).toBe(`http://${old.public_key}@testserver/${t.project.id}`);
    expect((await get(`/js-sdk-loader/${successor}.js`)).text).toContain('No Sentry SDK is configured for this key');

    // Rotated again with no overlap: the old key and the first successor are off, the newest is served.
    await setActive(t.h, t.project, successorRow, true);
    const again = await request(t.h, 'POST', `/api/0/projects/acme/web/keys/${successor}/rotate/`, { token: t.owner, body: { overlapSeconds: 0 } });
    expect(again.status).toBe(201);
    loader = await dsnOf(old.public_key);
    expect(loader.config.dsn).toBe(`http://${again.body.public as string}@testserver/${t.project.id}`);

    // A key whose overlap has ended is refused by the gate, but its loader still leads to the successor.
    const gone = await createKey(t.h, t.project);
    const replaced = await request(t.h, 'POST', `/api/0/projects/acme/web/keys/${gone.public_key}/rotate/`, { token: t.owner, body: { overlapSeconds: 0 } });
    expect(replaced.status).toBe(201);
    expect((await send(t.h, `/api/${t.project.id}/envelope/?sentry_key=${gone.public_key}`, { body: '{}\n' })).status).toBe(403);
    expect((await dsnOf(gone.public_key)).config.dsn).toBe(`http://${replaced.body.public as string}@testserver/${t.project.id}`);
  });
});

describe('the bundle route', () => {
  const t = suiteFixture(async (onCleanup) => {
    const h = await startHarness();
    onCleanup(() => h.close());
    const assets = await loadSdkAssets();
    return { h, assets };
  });

  it('serves each bundle as a CDN does: immutable for a year, to any origin, gzip when asked', async () => {
    for (const [name, asset] of t.assets.files) {
      const res = await fetch(`${t.h.baseUrl}/js-sdk/${t.assets.version}/${name}`, { headers: { 'accept-encoding': 'identity' } });
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer()).equals(asset.body), name).toBe(true);
    }
    // fetch() would decode gzip itself: a plain request shows what is on the wire.
    const name = 'bundle.tracing.replay.min.js';
    const compressed = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${t.h.baseUrl}/js-sdk/${t.assets.version}/${name}`, { headers: { 'accept-encoding': 'gzip, br' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(compressed.headers.vary).toBe('Accept-Encoding');
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.body.length).toBeLessThan(t.assets.files.get(name)!.body.length / 2);
    expect(gunzipSync(compressed.body).equals(t.assets.files.get(name)!.body)).toBe(true);
  });

  it('answers a revalidation with 304, and HEAD without a body', async () => {
    const path = `/js-sdk/${t.assets.version}/bundle.min.js`;
    const first = await fetch(`${t.h.baseUrl}${path}`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9+/]{32}"$/);
    const again = await fetch(`${t.h.baseUrl}${path}`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    const head = await fetch(`${t.h.baseUrl}${path}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 404 for any other version or file', async () => {
    for (const path of [
      `/js-sdk/10.0.0/bundle.min.js`,
      `/js-sdk/${t.assets.version}/bundle.es5.min.js`,
      `/js-sdk/${t.assets.version}/manifest.json`,
      `/js-sdk/${t.assets.version}/LICENSE`,
      `/js-sdk/${t.assets.version}/..%2F..%2Fpackage.json`,
      `/js-sdk/${t.assets.version}/`,
      `/js-sdk/`,
    ]) {
      const res = await send(t.h, path, { method: 'GET' });
      expect(res.status, path).toBe(404);
      expect(res.json, path).toMatchObject({ detail: expect.any(String) });
    }
  });
});

describe('with JS_SDK_LOADER_SDK_URL', () => {
  it("naming a CDN: every key's loader loads Sentry's version choice from there, without an integrity hash", async () => {
    const h = await startHarness({ loader: { sdkUrl: 'https://cdn.example/sentry/%s/bundle%s.min.js', cdnUrl: '' } });
    try {
      const seed = new Seed(h.services);
      const project = await seed.project(await seed.org('acme'), 'web');
      const key = await seed.defaultKey(project);
      const res = await send(h, `/js-sdk-loader/${key.public_key}.js`, { method: 'GET' });
      expect(res.text).toMatch(/"https:\/\/cdn\.example\/sentry\/10\.\d+\.\d+\/bundle\.tracing\.replay\.min\.js", \{/);
      expect(res.text).toMatch(/, (true|false), null, false\);\s*$/);
      expect(res.headers.get('surrogate-key')).toMatch(/ sdk\/10\.\d+\.\d+ sdk-loader$/);
    } finally {
      await h.close();
    }
  });

  it('empty: serves the no-op loader for every key', async () => {
    const h = await startHarness({ loader: { sdkUrl: '', cdnUrl: 'https://js.example.com/' } });
    try {
      const seed = new Seed(h.services);
      const project = await seed.project(await seed.org('acme'), 'web');
      const key = await seed.defaultKey(project);
      const res = await send(h, `/js-sdk-loader/${key.public_key}.min.js`, { method: 'GET' });
      expect(res.text).toContain('No Sentry SDK is configured for this key');
      // JS_SDK_LOADER_CDN_URL moves the serializer's dsn.cdn.
      expect(h.services.keySerializer.serialize(key, { includeUseCase: false }).dsn.cdn).toBe(`https://js.example.com/${key.public_key}.min.js`);
    } finally {
      await h.close();
    }
  });
});
