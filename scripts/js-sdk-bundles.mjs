/**
 * The browser SDK bundles the JS SDK loader injects, built from the pinned @sentry/browser with
 * esbuild into the shape of Sentry's CDN bundles (browser.sentry-cdn.com/<version>/bundle….min.js):
 * one classic script per feature set that puts the SDK's functions on `window.Sentry`, keeping
 * what is already there (the loader's stand-in and anything a page put on it).
 *
 * Why built here: Sentry's CDN bundles are not on npm, and a self-hosted install behind a
 * firewall or a strict Content-Security-Policy cannot fetch them (getsentry/self-hosted#737).
 *
 * The feature sets are the ones Sentry's loader can ask for (src/loader/bundle.ts picks them as
 * Sentry's js_sdk_loader.py does), each with and without `.debug`. What each exports follows
 * Sentry's packages/browser/src/index.bundle*.ts: the base set everywhere, the feature's own
 * functions where it is included and a harmless shim where it is not, so the loader and pages
 * never meet a missing function.
 *
 * Output, under `<outDir>/js-sdk/<version>/`: the bundles, `LICENSE` (the SDK's, which its MIT
 * licence asks to be kept with copies) and `manifest.json` (each file's size and Subresource
 * Integrity hash, which the server checks against the bytes it serves).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Every file the bundles' content depends on besides the installed packages. */
export const BUNDLE_SOURCES = [fileURLToPath(import.meta.url), join(here, 'js-sdk', 'shims.js')];

/** The packages whose versions decide the bundles' bytes. */
export const BUNDLE_PACKAGES = ['esbuild', '@sentry/browser', '@sentry/core', '@sentry/browser-utils', '@sentry/replay', '@sentry/feedback'];

/** The bundle names' parts, in Sentry's order (`bundle.tracing.replay.feedback.logs.metrics`). */
const FEATURES = [
  { name: 'tracing', modifier: '.tracing' },
  { name: 'replay', modifier: '.replay' },
  { name: 'feedback', modifier: '.feedback' },
  { name: 'logs', modifier: '.logs.metrics' },
];

/**
 * The feature sets the loader can ask for from v8 on: those of Sentry's CDN. There is no
 * tracing+feedback or feedback+logs bundle short of the full one (the loader picks the smallest
 * bundle that has every chosen feature).
 */
export const FEATURE_SETS = [
  [],
  ['tracing'],
  ['replay'],
  ['tracing', 'replay'],
  ['feedback'],
  ['replay', 'feedback'],
  ['tracing', 'replay', 'feedback'],
  ['logs'],
  ['tracing', 'logs'],
  ['replay', 'logs'],
  ['tracing', 'replay', 'logs'],
  ['tracing', 'replay', 'feedback', 'logs'],
];

export function bundleName(features, debug) {
  const modifier = FEATURES.filter((f) => features.includes(f.name))
    .map((f) => f.modifier)
    .join('');
  return `bundle${modifier}${debug ? '.debug' : ''}.min.js`;
}

/** What every bundle exports (Sentry's packages/browser/src/exports.ts, as of the pinned SDK). */
const BASE = [
  'addBreadcrumb',
  'addEventProcessor',
  'addIntegration',
  'breadcrumbsIntegration',
  'browserApiErrorsIntegration',
  'browserSessionIntegration',
  'BrowserClient',
  'captureEvent',
  'captureException',
  'captureFeedback',
  'captureMessage',
  'captureSession',
  'chromeStackLineParser',
  'close',
  'continueTrace',
  'createTransport',
  'createUserFeedbackEnvelope',
  'dedupeIntegration',
  'defaultStackLineParsers',
  'defaultStackParser',
  'endSession',
  'eventFiltersIntegration',
  'eventFromException',
  'eventFromMessage',
  'exceptionFromError',
  'featureFlagsIntegration',
  'flush',
  'forceLoad',
  'functionToStringIntegration',
  'geckoStackLineParser',
  'getClient',
  'getCurrentScope',
  'getDefaultIntegrations',
  'getGlobalScope',
  'getIsolationScope',
  'getTraceData',
  'globalHandlersIntegration',
  'httpContextIntegration',
  'init',
  'isEnabled',
  'isInitialized',
  'lastEventId',
  'lazyLoadIntegration',
  'linkedErrorsIntegration',
  'makeFetchTransport',
  'moduleMetadataIntegration',
  'onLoad',
  'opera10StackLineParser',
  'opera11StackLineParser',
  'parameterize',
  'Scope',
  'SDK_VERSION',
  'setContext',
  'setCurrentClient',
  'setExtra',
  'setExtras',
  'setTag',
  'setTags',
  'setUser',
  'showReportDialog',
  'spanToBaggageHeader',
  'spanToJSON',
  'spanToTraceHeader',
  'startSession',
  'suppressTracing',
  'thirdPartyErrorFilterIntegration',
  'updateSpanName',
  'WINDOW',
  'winjsStackLineParser',
  'withIsolationScope',
  'withScope',
];

/** Each feature's own exports (index.bundle.tracing.ts, …replay.ts, …feedback.ts, …logs.metrics.ts). */
const OWN = {
  tracing: [
    'browserTracingIntegration',
    'elementTimingIntegration',
    'fetchStreamPerformanceIntegration',
    'getActiveSpan',
    'getRootSpan',
    'getSpanDescendants',
    'isBotUserAgent',
    'reportPageLoaded',
    'setActiveSpanInBrowser',
    'setMeasurement',
    'spanStreamingIntegration',
    'startBrowserTracingNavigationSpan',
    'startBrowserTracingPageLoadSpan',
    'startInactiveSpan',
    'startNewTrace',
    'startSpan',
    'startSpanManual',
    'webVitalsIntegration',
    'withActiveSpan',
  ],
  replay: ['getReplay', 'replayIntegration'],
  // Sentry's CDN bundles make feedbackIntegration the async variant, which fetches the widget's
  // modal and screenshot code from browser.sentry-cdn.com when it opens. Here it is the sync
  // variant, so the widget works without any request outside this server.
  feedback: ['getFeedback', 'sendFeedback'],
  logs: ['consoleLoggingIntegration', 'logger', 'metrics'],
};

/** What stands in for a feature's main functions in bundles without it. */
const SHIMS = {
  tracing: { browserTracingIntegration: 'browserTracingIntegrationShim' },
  replay: { replayIntegration: 'replayIntegrationShim' },
  feedback: { feedbackIntegration: 'feedbackIntegrationShim', feedbackAsyncIntegration: 'feedbackIntegrationShim' },
  logs: { consoleLoggingIntegration: 'consoleLoggingIntegrationShim', logger: 'loggerShim', metrics: 'metricsShim' },
};

/** The entry module of one bundle: its exports, copied onto `window.Sentry`. */
export function entrySource(features) {
  const fromSdk = [...BASE];
  const shims = [];
  for (const feature of FEATURES.map((f) => f.name)) {
    if (features.includes(feature)) fromSdk.push(...OWN[feature]);
    else for (const [name, shim] of Object.entries(SHIMS[feature])) shims.push(`${shim} as ${name}`);
  }
  const lines = [`import { ${fromSdk.join(', ')} } from '@sentry/browser';`];
  if (features.includes('feedback')) lines.push(`import { feedbackSyncIntegration } from '@sentry/browser';`);
  if (shims.length > 0) lines.push(`import { ${[...new Set(shims.map((s) => s.split(' ')[0]))].join(', ')} } from './shims.js';`);
  const exported = [...fromSdk];
  if (features.includes('feedback')) exported.push('feedbackIntegration: feedbackSyncIntegration', 'feedbackAsyncIntegration: feedbackSyncIntegration');
  for (const shim of shims) {
    const [local, , name] = shim.split(' ');
    exported.push(`${name}: ${local}`);
  }
  // Like Rollup's `extend: true`, which Sentry's bundles use: add to window.Sentry, never replace it.
  lines.push(`const target = (window.Sentry = window.Sentry || {});`);
  lines.push(`const exported = { ${exported.join(', ')} };`);
  lines.push(`for (const name in exported) target[name] = exported[name];`);
  return `${lines.join('\n')}\n`;
}

export function sdkVersion() {
  return require('@sentry/browser/package.json').version;
}

/** `sha384-…`, the hash a `<script integrity>` names. */
export function integrity(bytes) {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

/**
 * The SDK reports where it came from (`sdk.packages`, `getSDKSource()`): "npm" as published,
 * "cdn" in Sentry's bundles, whose build rewrites the marked line as this does.
 */
const sdkSourcePlugin = {
  name: 'sentry-sdk-source',
  setup(build) {
    build.onLoad({ filter: /[\\/]@sentry[\\/]core[\\/].*[\\/]utils[\\/]env\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const rewritten = text.replace(/(\/\*! __SENTRY_SDK_SOURCE__ \*\/\s*return )"npm"/, '$1"cdn"');
      if (rewritten === text) throw new Error(`${args.path}: no __SENTRY_SDK_SOURCE__ marker to rewrite`);
      return { contents: rewritten, loader: 'js' };
    });
  },
};

/** Builds every bundle into `<outDir>/js-sdk/<version>/`; returns the manifest. */
export async function buildSdkBundles(outDir) {
  const esbuild = await import('esbuild');
  const version = sdkVersion();
  const dir = join(outDir, 'js-sdk', version);
  mkdirSync(dir, { recursive: true });
  const banner = `/*! @sentry/browser ${version} | MIT License | https://github.com/getsentry/sentry-javascript | bundled by clientkeys with esbuild ${esbuild.version} */`;
  const jobs = [];
  for (const features of FEATURE_SETS) {
    for (const debug of [false, true]) {
      const file = bundleName(features, debug);
      jobs.push(
        esbuild
          .build({
            stdin: { contents: entrySource(features), resolveDir: join(here, 'js-sdk'), sourcefile: file.replace(/\.min\.js$/, '.entry.js'), loader: 'js' },
            bundle: true,
            format: 'iife',
            platform: 'browser',
            // What Sentry's CDN bundles target since v8 (ES2018 syntax, no ES5 build).
            target: 'es2018',
            minify: true,
            legalComments: 'none',
            banner: { js: banner },
            define: {
              __SENTRY_DEBUG__: debug ? 'true' : 'false',
              __SENTRY_BROWSER_BUNDLE__: 'true',
              ...(features.includes('tracing') ? {} : { __SENTRY_TRACING__: 'false' }),
            },
            charset: 'utf8',
            plugins: [sdkSourcePlugin],
            write: false,
            logLevel: 'silent',
          })
          .then((result) => ({ file, bytes: Buffer.from(result.outputFiles[0].contents) })),
      );
    }
  }
  const files = {};
  for (const { file, bytes } of await Promise.all(jobs)) {
    writeFileSync(join(dir, file), bytes);
    files[file] = { bytes: bytes.length, integrity: integrity(bytes) };
  }
  writeFileSync(join(dir, 'LICENSE'), readFileSync(require.resolve('@sentry/browser/package.json').replace(/package\.json$/, 'LICENSE')));
  const manifest = { sdk: '@sentry/browser', version, files };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
