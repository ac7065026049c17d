/**
 * The JS SDK loader in a real headless Chromium, as a site uses it: a page on its own loopback
 * origin includes a key's `dsn.cdn` script, the loader loads this server's SDK bundle (built from
 * the pinned @sentry/browser), and the SDK sends to the gate. Each test checks what reached the
 * gate and its answer, and that the page made no request outside the site and this server.
 *
 * Sentry's loader behaviours, as its source does them (S:src/sentry/templates/sentry/js-sdk-loader.ts):
 * the page's own `Sentry.init` in `Sentry.onLoad`, in `window.sentryOnLoad` and before the SDK
 * loaded; `forceLoad`; lazy loading on the first error, `data-lazy="no"`; calls and errors queued
 * before load replayed in order. Then each key option (Performance, Replay, Debug, User Feedback,
 * Logs and Metrics), a disabled key, a rotated key, a strict Content-Security-Policy, and a CDN
 * named by JS_SDK_LOADER_SDK_URL.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoaderOptions } from '../src/domain/keys.ts';
import type { ProjectKeyRow } from '../src/storage/schema.ts';
import { launchChromium } from './helpers/chromium.ts';
import { request, Seed, startAcme, startHarness, TEST_ACTOR } from './helpers/harness.ts';
import { createKey, setActive } from './helpers/ingest.ts';
import { eventOf, PageRecorder, startSite, type SentEnvelope } from './helpers/loader-site.ts';
import { suiteFixture } from './helpers/fixture.ts';

const SDK_VERSION = (JSON.parse(readFileSync(new URL('../node_modules/@sentry/browser/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const NONE: LoaderOptions = { hasPerformance: false, hasReplay: false, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false };

const contexts: BrowserContext[] = [];
let recorders: PageRecorder[] = [];

const t = suiteFixture(async (onCleanup) => {
  const { h, org, project, owner } = await startAcme({}, { reachablePublicUrl: true });
  onCleanup(() => h.close());
  const site = await startSite();
  onCleanup(() => site.close());
  const browser = await launchChromium();
  onCleanup(() => browser.close());
  onCleanup(async () => {
    for (const context of contexts) await context.close();
  });
  return { h, site, browser, org, project, owner };
});

// Whatever a test did, its pages spoke to nobody but the site and this server.
afterEach(() => {
  for (const recorder of recorders) expect([...recorder.origins()].filter((o) => o !== t.site.origin && o !== t.h.baseUrl)).toEqual([]);
  recorders = [];
});

async function keyWith(options: LoaderOptions, browserSdkVersion?: string): Promise<ProjectKeyRow> {
  const key = await createKey(t.h, t.project);
  return t.h.services.keys.update(t.project, key, { dynamicSdkLoaderOptions: { ...NONE, ...options }, ...(browserSdkVersion ? { browserSdkVersion } : {}) }, TEST_ACTOR);
}

const loaderTag = (key: ProjectKeyRow, attributes = '') => `<script src="${t.h.baseUrl}/js-sdk-loader/${key.public_key}.min.js" crossorigin="anonymous"${attributes}></script>`;
const dsnOf = (key: ProjectKeyRow) => `${t.h.baseUrl.replace('//', `//${key.public_key}@`)}/${t.project.id}`;

let pages = 0;
/** A page of the site with `head` in its <head>; its recorder. */
async function open(head: string, headers: Record<string, string> = {}): Promise<{ page: Page; recorder: PageRecorder; url: string }> {
  pages += 1;
  const path = `/page-${pages}.html`;
  t.site.set(path, { body: `<!doctype html><html><head><meta charset="utf-8">${head}</head><body><h1>A page</h1></body></html>`, headers });
  const context = await t.browser.newContext();
  context.setDefaultTimeout(30_000);
  contexts.push(context);
  const page = await context.newPage();
  const recorder = new PageRecorder(page);
  recorders.push(recorder);
  return { page, recorder, url: `${t.site.origin}${path}` };
}

const isEventFor = (key: ProjectKeyRow, test: (event: any) => boolean) => (sent: SentEnvelope) =>
  sent.publicKey === key.public_key && eventOf(sent) !== undefined && test(eventOf(sent));

/** Sent to the key's DSN: its key, its project's envelope endpoint on this server. */
function expectSentToKey(sent: SentEnvelope & { status: number }, key: ProjectKeyRow) {
  expect(sent.url.origin).toBe(t.h.baseUrl);
  expect(sent.url.pathname).toBe(`/api/${t.project.id}/envelope/`);
  expect(sent.publicKey).toBe(key.public_key);
  expect(sent.status).toBe(200);
}

/** The item types the gate recorded for a key (its recent events), after the stats are written. */
async function recordedTypes(key: ProjectKeyRow): Promise<string[][]> {
  await t.h.services.ingest.flush();
  const recent = await request(t.h, 'GET', `/api/0/projects/${t.org.slug}/${t.project.slug}/events/recent/`, { token: t.owner });
  expect(recent.status).toBe(200);
  return (recent.body as { publicKey: string; itemTypes: string[] }[]).filter((e) => e.publicKey === key.public_key).map((e) => e.itemTypes);
}

/** The pageload's segment span (what a transaction was before span streaming) in an envelope. */
function pageloadSegment(sent: SentEnvelope): any {
  const spans = sent.envelope.items.filter((item) => item.type === 'span').flatMap((item) => item.json?.items ?? []);
  return spans.find((span: any) => span.is_segment === true && span.attributes?.['sentry.op']?.value === 'pageload');
}

const bundleRequests = (recorder: PageRecorder) => recorder.requests.filter((url) => url.startsWith(`${t.h.baseUrl}/js-sdk/`));

describe("the page's own Sentry.init keeps the key's DSN", () => {
  it('in Sentry.onLoad(() => Sentry.init(…)), the SDK loaded by the first error', async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(`${loaderTag(key)}
      <script>Sentry.onLoad(function () { Sentry.init({ release: 'page@1.0.0', environment: 'browser-test' }); });</script>
      <script>window.doSomethingWrong();</script>`);
    const waiting = recorder.envelope(isEventFor(key, () => true));
    await page.goto(url);
    const sent = await waiting;
    expectSentToKey(sent, key);
    const event = eventOf(sent);
    expect(event.release).toBe('page@1.0.0');
    expect(event.environment).toBe('browser-test');
    expect(event.exception.values[0].value).toMatch(/doSomethingWrong is not a function/);
    expect(event.sdk).toMatchObject({ name: 'sentry.javascript.browser', version: SDK_VERSION });
    // window.SENTRY_SDK_SOURCE = 'loader', as Sentry's loader sets it.
    expect(event.sdk.packages).toEqual([{ name: 'loader:@sentry/browser', version: SDK_VERSION }]);
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.min.js`]);
    expect(await page.evaluate(() => (globalThis as any).Sentry.getClient().getOptions().dsn)).toBe(dsnOf(key));
  });

  it('in window.sentryOnLoad, defined before the loader, the SDK loaded by a capture call', async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(`
      <script>window.sentryOnLoad = function () { Sentry.init({ release: 'page@2.0.0' }); };</script>
      ${loaderTag(key)}
      <script>Sentry.captureMessage('hello from sentryOnLoad');</script>`);
    const waiting = recorder.envelope(isEventFor(key, (e) => e.message === 'hello from sentryOnLoad'));
    await page.goto(url);
    const sent = await waiting;
    expectSentToKey(sent, key);
    expect(eventOf(sent).release).toBe('page@2.0.0');
    // Called once, then dropped, as Sentry's loader does.
    expect(await page.evaluate(() => (globalThis as any).sentryOnLoad)).toBeUndefined();
  });

  it('in Sentry.init(…) before the SDK loaded; calls and errors queued before load are replayed in order', async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(`${loaderTag(key)}
      <script>
        Sentry.init({ release: 'page@3.0.0', initialScope: { tags: { from: 'queued-init' } } });
        Sentry.addBreadcrumb({ category: 'test', message: 'queued crumb' });
        Sentry.captureMessage('first');
      </script>
      <script>notDefinedAnywhere();</script>
      <script>Sentry.captureMessage('second');</script>`);
    const waiting = recorder.envelope(isEventFor(key, (e) => e.message === 'second'));
    await page.goto(url);
    expectSentToKey(await waiting, key);
    const events = recorder.envelopes.filter((s) => s.publicKey === key.public_key).map(eventOf).filter(Boolean);
    expect(events.map((e) => e.message ?? e.exception.values[0].value)).toEqual(['first', expect.stringMatching(/notDefinedAnywhere is not defined/), 'second']);
    for (const event of events) {
      expect(event.release).toBe('page@3.0.0');
      expect(event.tags).toMatchObject({ from: 'queued-init' });
    }
    expect(events[0].breadcrumbs.map((b: { message?: string }) => b.message)).toContain('queued crumb');
    // The error was seen by the loader's listener, then handed to the SDK's own handler.
    expect(events[1].exception.values[0].mechanism).toMatchObject({ type: 'auto.browser.global_handlers.onerror', handled: false });
  });

  it("in Sentry.onLoad without init: the loader still initialises with the key's DSN", async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(`${loaderTag(key)}
      <script>Sentry.onLoad(function () { Sentry.setUser({ id: 'user-42' }); });</script>
      <script>Sentry.captureException(new Error('no init of its own'));</script>`);
    const waiting = recorder.envelope(isEventFor(key, () => true));
    await page.goto(url);
    const sent = await waiting;
    expectSentToKey(sent, key);
    expect(eventOf(sent).exception.values[0].value).toBe('no init of its own');
    expect(eventOf(sent).user).toEqual({ id: 'user-42' });
  });
});

describe("the loader's loading", () => {
  it('is lazy for a key without features: no SDK until the first error', async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(loaderTag(key));
    await page.goto(url);
    // A loader that is not lazy injects the SDK on the next tick: two ticks later, nothing.
    await page.evaluate(() => new Promise((resolve) => setTimeout(() => setTimeout(resolve))));
    expect(await page.evaluate(() => (globalThis as any).document.querySelectorAll('script[src*="/js-sdk/"]').length)).toBe(0);
    expect(bundleRequests(recorder)).toEqual([]);
    expect(typeof (await page.evaluate(() => (globalThis as any).Sentry.getClient))).toBe('undefined');

    const waiting = recorder.envelope(isEventFor(key, () => true));
    await page.evaluate(() => setTimeout(() => Promise.reject(new Error('a late rejection'))));
    const sent = await waiting;
    expectSentToKey(sent, key);
    expect(eventOf(sent).exception.values[0]).toMatchObject({ value: 'a late rejection', mechanism: { type: 'auto.browser.global_handlers.onunhandledrejection' } });
    expect(bundleRequests(recorder)).toHaveLength(1);
  });

  it('loads at once for data-lazy="no", and on Sentry.forceLoad(); onLoad then calls back at once', async () => {
    const key = await keyWith({});
    const eager = await open(loaderTag(key, ' data-lazy="no"'));
    const eagerBundle = eager.page.waitForRequest((r) => r.url().includes('/js-sdk/'));
    await eager.page.goto(eager.url);
    expect((await eagerBundle).url()).toBe(`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.min.js`);

    const forced = await open(`${loaderTag(key)}
      <script>Sentry.onLoad(function () { Sentry.init({ release: 'forced@1' }); window.dsnOnLoad = Sentry.getClient().getOptions().dsn; });</script>`);
    await forced.page.goto(forced.url);
    await forced.page.evaluate(() => new Promise((resolve) => setTimeout(() => setTimeout(resolve))));
    expect(bundleRequests(forced.recorder)).toEqual([]);
    await forced.page.evaluate(() => (globalThis as any).Sentry.forceLoad());
    expect(await (await forced.page.waitForFunction(() => (globalThis as any).dsnOnLoad)).jsonValue()).toBe(dsnOf(key));
    // After load, Sentry.onLoad is the SDK's own: the callback runs before onLoad returns.
    expect(await forced.page.evaluate(() => {
      let called = false;
      (globalThis as any).Sentry.onLoad(() => (called = true));
      return called;
    })).toBe(true);
  });
});

describe("the key's options", () => {
  it('Performance: a page load produces a transaction (SDK 11 streams it: the pageload segment span) that the gate accepts and counts', async () => {
    const key = await keyWith({ hasPerformance: true });
    const { page, recorder, url } = await open(loaderTag(key));
    const waiting = recorder.envelope((s) => s.publicKey === key.public_key && pageloadSegment(s) !== undefined);
    await page.goto(url);
    const sent = await waiting;
    expectSentToKey(sent, key);
    const segment = pageloadSegment(sent)!;
    expect(segment.attributes['url.full'].value).toBe(url);
    // The key's tracesSampleRate: 1.
    expect(segment.attributes['sentry.sample_rate'].value).toBe(1);
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.tracing.min.js`]);
    expect(await page.evaluate(() => !!(globalThis as any).Sentry.getClient().getIntegrationByName('BrowserTracing'))).toBe(true);
    expect(await recordedTypes(key)).toContainEqual(['span']);
  });

  it('Replay: the replay integration is installed, and a replay reaches the gate when an error is captured', async () => {
    const key = await keyWith({ hasReplay: true });
    const { page, recorder, url } = await open(loaderTag(key));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as any).Sentry.getClient?.()?.getIntegrationByName('Replay'));
    const waiting = recorder.envelope((s) => s.publicKey === key.public_key && s.types.includes('replay_event'));
    await page.evaluate(() => (globalThis as any).Sentry.captureException(new Error('with a replay')));
    const sent = await waiting;
    expectSentToKey(sent, key);
    expect(sent.types).toEqual(['replay_event', 'replay_recording']);
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.replay.min.js`]);
    expect((await recordedTypes(key)).flat()).toContain('replay_event');
  });

  it("Debug: the debug bundle, and the SDK's debug log in the console", async () => {
    const key = await keyWith({ hasDebug: true });
    const { page, recorder, url } = await open(`${loaderTag(key)}<script>Sentry.forceLoad();</script>`);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as any).Sentry.getClient?.());
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.debug.min.js`]);
    expect(await page.evaluate(() => (globalThis as any).Sentry.getClient().getOptions().debug)).toBe(true);
    expect(recorder.console.filter((line) => line.startsWith('Sentry Logger [log]: Integration installed'))).not.toEqual([]);
  });

  it('User Feedback: the widget is on the page, and a feedback reaches the gate', async () => {
    const key = await keyWith({ hasFeedback: true });
    const { page, recorder, url } = await open(loaderTag(key));
    await page.goto(url);
    await page.waitForSelector('#sentry-feedback', { state: 'attached' });
    expect(await page.evaluate(() => !!(globalThis as any).Sentry.getFeedback())).toBe(true);
    const waiting = recorder.envelope((s) => s.publicKey === key.public_key && s.types.includes('feedback'));
    await page.evaluate(() => (globalThis as any).Sentry.captureFeedback({ message: 'Nice page', name: 'Ann' }));
    const sent = await waiting;
    expectSentToKey(sent, key);
    expect(sent.envelope.items[0]!.json.contexts.feedback).toMatchObject({ message: 'Nice page', name: 'Ann' });
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.feedback.min.js`]);
  });

  it('Logs and Metrics: Sentry.logger and Sentry.metrics reach the gate', async () => {
    const key = await keyWith({ hasLogsAndMetrics: true });
    const { page, recorder, url } = await open(loaderTag(key));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as any).Sentry.getClient?.());
    expect(await page.evaluate(() => (globalThis as any).Sentry.getClient().getOptions().enableLogs)).toBe(true);
    const logs = recorder.envelope((s) => s.publicKey === key.public_key && s.types.includes('log'));
    const metrics = recorder.envelope((s) => s.publicKey === key.public_key && s.types.includes('trace_metric'));
    await page.evaluate(async () => {
      const sentry = (globalThis as any).Sentry;
      sentry.logger.info('a log line from the page');
      sentry.metrics.count('button_clicks', 3);
      await sentry.flush(5000);
    });
    const log = await logs;
    expectSentToKey(log, key);
    expect(JSON.stringify(log.envelope.items.find((i) => i.type === 'log')!.json)).toContain('a log line from the page');
    expectSentToKey(await metrics, key);
    expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.logs.metrics.min.js`]);
  });
});

describe('keys that change', () => {
  it("a disabled key's loader does nothing, and the page's calls to it do not throw", async () => {
    const key = await keyWith({ hasPerformance: true });
    await setActive(t.h, t.project, key, false);
    const { page, recorder, url } = await open(`${loaderTag(key)}
      <script>
        Sentry.onLoad(function () { window.calledBack = true; });
        Sentry.init({ release: 'nope' });
        Sentry.forceLoad();
        Sentry.captureMessage('into the void');
        window.pageRan = true;
      </script>`);
    await page.goto(url);
    await page.evaluate(() => new Promise((resolve) => setTimeout(() => setTimeout(resolve))));
    expect(await page.evaluate(() => (globalThis as any).pageRan)).toBe(true);
    expect(await page.evaluate(() => (globalThis as any).document.querySelectorAll('script[src*="/js-sdk/"]').length)).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).calledBack)).toBeUndefined();
    expect(bundleRequests(recorder)).toEqual([]);
    expect(recorder.envelopes).toEqual([]);
  });

  it("a rotated key's loader switches to the successor: the page sends with the new DSN, unchanged", async () => {
    const key = await keyWith({});
    const { page, recorder, url } = await open(`${loaderTag(key)}<script>Sentry.captureMessage('after the rotation');</script>`);
    const rotated = await request(t.h, 'POST', `/api/0/projects/${t.org.slug}/${t.project.slug}/keys/${key.public_key}/rotate/`, { token: t.owner, body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(201);
    const successor = { ...key, public_key: rotated.body.public as string };
    const waiting = recorder.envelope(isEventFor(successor, (e) => e.message === 'after the rotation'));
    await page.goto(url);
    expectSentToKey(await waiting, successor);
    expect(recorder.envelopes.filter((s) => s.publicKey === key.public_key)).toEqual([]);
    expect(await recordedTypes(successor)).toEqual([['event']]);
  });
});

describe('where the SDK comes from', () => {
  it("works under Content-Security-Policy: script-src 'self' <clientkeys>; Replay's compression worker wants worker-src blob:", async () => {
    const key = await keyWith({ hasPerformance: true, hasReplay: true });
    t.site.set('/csp-app.js', {
      type: 'text/javascript',
      body: `document.addEventListener('securitypolicyviolation', function (e) { (window.violations = window.violations || []).push(e.violatedDirective + ' ' + e.blockedURI); });
        Sentry.onLoad(function () { Sentry.init({ release: 'csp@1' }); });
        setTimeout(function () { Sentry.captureException(new Error('under a strict CSP')); });`,
    });
    for (const [policy, violations] of [
      // Replay compresses in a Worker made from a blob: URL; refused, it sends uncompressed.
      [`script-src 'self' ${t.h.baseUrl}`, ['worker-src blob']],
      [`script-src 'self' ${t.h.baseUrl}; worker-src blob:`, []],
    ] as const) {
      const { page, recorder, url } = await open(`${loaderTag(key)}<script src="/csp-app.js"></script>`, { 'content-security-policy': policy });
      const error = recorder.envelope(isEventFor(key, (e) => e.exception?.values?.[0]?.value === 'under a strict CSP'));
      const pageload = recorder.envelope((s) => s.publicKey === key.public_key && pageloadSegment(s) !== undefined);
      const replay = recorder.envelope((s) => s.publicKey === key.public_key && s.types.includes('replay_recording'));
      await page.goto(url);
      const sentError = await error;
      expectSentToKey(sentError, key);
      expect(eventOf(sentError).release).toBe('csp@1');
      expectSentToKey(await pageload, key);
      expectSentToKey(await replay, key);
      expect(bundleRequests(recorder)).toEqual([`${t.h.baseUrl}/js-sdk/${SDK_VERSION}/bundle.tracing.replay.min.js`]);
      expect(await page.evaluate(() => (globalThis as any).violations ?? []), policy).toEqual(violations);
    }
  });

  it('loads from a CDN named by JS_SDK_LOADER_SDK_URL (a mirror on loopback here), without an integrity hash', async () => {
    // The mirror serves this package's bundle under the version Sentry's choice names.
    const bundle = readFileSync(new URL(`../dist/js-sdk/${SDK_VERSION}/bundle.min.js`, import.meta.url));
    const cdn = await startHarness({ loader: { sdkUrl: `${t.site.origin}/mirror/%s/bundle%s.min.js`, cdnUrl: '' } }, { reachablePublicUrl: true });
    try {
      const seed = new Seed(cdn.services);
      const other = await seed.project(await seed.org('mirror'), 'web');
      const key = await cdn.services.keys.update(other, await seed.defaultKey(other), { dynamicSdkLoaderOptions: NONE }, TEST_ACTOR);
      const loader = await (await fetch(`${cdn.baseUrl}/js-sdk-loader/${key.public_key}.min.js`)).text();
      const version = /\/mirror\/(10\.\d+\.\d+)\/bundle\.min\.js/.exec(loader)?.[1];
      expect(version).toBeDefined();
      t.site.set(`/mirror/${version}/bundle.min.js`, { type: 'text/javascript', body: bundle, headers: { 'access-control-allow-origin': '*' } });

      const { page, recorder, url } = await open(`<script src="${cdn.baseUrl}/js-sdk-loader/${key.public_key}.min.js" crossorigin="anonymous"></script>
        <script>Sentry.captureMessage('through the mirror');</script>`);
      const waiting = recorder.envelope((s) => s.publicKey === key.public_key && eventOf(s)?.message === 'through the mirror');
      await page.goto(url);
      const sent = await waiting;
      expect(sent.url.origin).toBe(cdn.baseUrl);
      expect(sent.status).toBe(200);
      expect(recorder.requests.filter((u) => u.includes('/mirror/'))).toEqual([`${t.site.origin}/mirror/${version}/bundle.min.js`]);
      expect(await page.evaluate(() => [...(globalThis as any).document.scripts].find((s: any) => s.src.includes('/mirror/'))?.integrity)).toBe('');
      // Its envelopes went to the other server, which the recorder check below does not know.
      recorders = recorders.filter((r) => r !== recorder);
      expect([...recorder.origins()].sort()).toEqual([cdn.baseUrl, t.site.origin].sort());
    } finally {
      await cdn.close();
    }
  });
});
