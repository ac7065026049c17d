/**
 * `/js-sdk-loader/{public_key}(.min)?.js`: the bundle and options chosen as Sentry chooses them
 * (the table of tests/sentry/web/frontend/test_js_sdk_loader.py), Sentry's headers, a no-op for
 * unknown and disabled keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderOptions } from '../src/domain/keys.ts';
import { loaderBundle, sdkUrl } from '../src/loader/bundle.ts';
import { selectSdkVersion } from '../src/loader/sdk-version.ts';
import type { ProjectKeyRow, ProjectRow } from '../src/storage/schema.ts';
import { Seed, startHarness, TEST_ACTOR, type Harness } from './helpers/harness.ts';
import { createKey, send, setActive } from './helpers/ingest.ts';

const TEMPLATE = 'https://browser.sentry-cdn.com/%s/bundle%s.min.js';
const url = (version: string, options: LoaderOptions) => sdkUrl(TEMPLATE, version, loaderBundle(version, { dynamicSdkLoaderOptions: options }, 'dsn').modifier);

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

  it('sets init options only for what the key enabled', () => {
    expect(loaderBundle('7.37.0', { dynamicSdkLoaderOptions: { hasPerformance: true, hasFeedback: true } }, 'D').config).toEqual({
      dsn: 'D',
      tracesSampleRate: 1,
      autoInjectFeedback: true,
    });
    expect(loaderBundle('10.0.0', { dynamicSdkLoaderOptions: { hasReplay: true, hasDebug: true, hasLogsAndMetrics: true } }, 'D').config).toEqual({
      dsn: 'D',
      replaysSessionSampleRate: 0.1,
      replaysOnErrorSampleRate: 1,
      debug: true,
      enableLogs: true,
    });
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

describe('the loader route', () => {
  let h: Harness;
  let project: ProjectRow;
  let key: ProjectKeyRow;

  beforeAll(async () => {
    h = await startHarness();
    const seed = new Seed(h.services);
    const org = await seed.org('acme');
    project = await seed.project(org, 'web');
    key = await seed.defaultKey(project);
  });
  afterAll(() => h.close());

  const CACHE = 'public, max-age=3600, s-maxage=60, stale-while-revalidate=315360000, stale-if-error=315360000';

  it("serves the default key's loader with Sentry's headers: 10.x with tracing and replay", async () => {
    const res = await send(h, `/js-sdk-loader/${key.public_key}.js`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe(CACHE);
    expect(res.headers.get('surrogate-key')).toMatch(new RegExp(`^project/${project.id} sdk/10\\.\\d+\\.\\d+ sdk-loader$`));
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('vary')).toBeNull();
    expect(res.text).toMatch(/https:\/\/browser\.sentry-cdn\.com\/10\.\d+\.\d+\/bundle\.tracing\.replay\.min\.js/);
    expect(res.text).toContain(`"dsn":"http://${key.public_key}@testserver/${project.id}"`);
    expect(res.text).toContain('"tracesSampleRate":1');
    expect(res.text).toContain('"replaysSessionSampleRate":0.1');

    const min = await send(h, `/js-sdk-loader/${key.public_key}.min.js`, { method: 'GET' });
    expect(min.status).toBe(200);
    expect(min.text).toContain(key.public_key);
    expect(min.text).toContain('bundle.tracing.replay.min.js');
    expect(min.text.length).toBeLessThan(res.text.length);
  });

  it("follows the key's browserSdkVersion and options at once", async () => {
    const own = await createKey(h, project);
    await h.services.keys.update(project, own, { browserSdkVersion: '7.x', dynamicSdkLoaderOptions: { hasPerformance: false, hasReplay: false, hasDebug: true } }, TEST_ACTOR);
    const res = await send(h, `/js-sdk-loader/${own.public_key}.js`, { method: 'GET' });
    expect(res.text).toMatch(/\/7\.\d+\.\d+\/bundle\.es5\.debug\.min\.js/);
    expect(res.text).toContain('"debug":true');
  });

  it('serves a no-op for an unknown or disabled key, with the same cache headers and no Surrogate-Key', async () => {
    const disabled = await createKey(h, project);
    await setActive(h, project, disabled, false);
    for (const path of [`/js-sdk-loader/${'f'.repeat(32)}.min.js`, `/js-sdk-loader/abc.js`, `/js-sdk-loader/${disabled.public_key}.js`]) {
      const res = await send(h, path, { method: 'GET' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe(CACHE);
      expect(res.headers.get('surrogate-key')).toBeNull();
      expect(res.text).toContain('No Sentry SDK is configured for this key');
      expect(res.text).not.toContain('sentry-cdn');
    }
    expect((await send(h, '/js-sdk-loader/nope.css', { method: 'GET' })).status).toBe(404);
  });
});

describe('without an SDK URL', () => {
  it('serves the no-op loader for every key', async () => {
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

describe('the loader script, run', () => {
  /** A page of just enough DOM: scripts it appends are recorded, their load fired by the test. */
  function page() {
    const injected: { src: string; load: () => void }[] = [];
    const window: Record<string, any> = {};
    const document = {
      scripts: [] as unknown[],
      head: { appendChild: (script: any) => injected.push(script) },
      createElement: () => {
        const script: any = { listeners: [] as (() => void)[] };
        script.addEventListener = (_event: string, listener: () => void) => script.listeners.push(listener);
        script.load = () => script.listeners.forEach((l: () => void) => l());
        return script;
      },
    };
    return { window, document, injected };
  }

  async function run(source: string, env: ReturnType<typeof page>) {
    const { runInNewContext } = await import('node:vm');
    runInNewContext(source, { window: env.window, document: env.document });
  }

  function fakeSdk() {
    const calls: [string, unknown[]][] = [];
    let client: unknown;
    return {
      calls,
      sdk: {
        init: (options: unknown) => {
          calls.push(['init', [options]]);
          client = {};
        },
        getClient: () => client,
        captureMessage: (...args: unknown[]) => calls.push(['captureMessage', args]),
      },
    };
  }

  it('loads the SDK at once for a key with tracing, initialises it and replays queued calls', async () => {
    const { loaderScript } = await import('../src/loader/script.ts');
    const env = page();
    await run(loaderScript({ publicKey: 'k', jsSdkUrl: 'https://cdn/sdk.js', config: { dsn: 'D', tracesSampleRate: 1 }, isLazy: false }), env);
    expect(env.injected.map((s) => s.src)).toEqual(['https://cdn/sdk.js']);
    env.window.Sentry.captureMessage('early');
    const { calls, sdk } = fakeSdk();
    env.window.Sentry = sdk;
    env.injected[0]!.load();
    expect(calls).toEqual([
      ['init', [{ dsn: 'D', tracesSampleRate: 1 }]],
      ['captureMessage', ['early']],
    ]);
  });

  it('waits for the first error when lazy, minified or not', async () => {
    const { loaderScript, minifiedLoaderScript } = await import('../src/loader/script.ts');
    for (const render of [loaderScript, minifiedLoaderScript]) {
      const env = page();
      await run(render({ publicKey: 'k', jsSdkUrl: 'https://cdn/sdk.js', config: { dsn: 'D' }, isLazy: true }), env);
      expect(env.injected).toHaveLength(0);
      env.window.onerror('boom', 'app.js', 1, 1, new Error('boom'));
      expect(env.injected).toHaveLength(1);
    }
  });
});
