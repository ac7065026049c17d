/**
 * The bundle and init options a key's loader asks for, from its `dynamicSdkLoaderOptions`
 * (S:src/sentry/web/frontend/js_sdk_loader.py, with the combinations of
 * tests/sentry/web/frontend/test_js_sdk_loader.py): tracing, replay, feedback and logs+metrics
 * bundles from v7 (logs from v10), ES5 bundles for v7 only, and where no bundle has exactly the
 * chosen features, the smallest one that has them all.
 */
import type { KeyData } from '../domain/keys.ts';
import { majorOf } from './sdk-version.ts';

export interface SdkConfig {
  dsn: string;
  tracesSampleRate?: number;
  replaysSessionSampleRate?: number;
  replaysOnErrorSampleRate?: number;
  debug?: boolean;
  enableLogs?: boolean;
}

export interface LoaderBundle {
  /** e.g. ".tracing.replay" (what the URL template's second %s receives). */
  modifier: string;
  config: SdkConfig;
  /** Load the SDK on the first error only, when no feature needs it from the start. */
  isLazy: boolean;
  /**
   * The loader adds `feedbackIntegration()` to the page's integrations, as it adds tracing and
   * replay for their sample rates (the feedback widget has no init option of its own to say so).
   */
  addFeedback: boolean;
}

export function loaderBundle(sdkVersion: string, data: KeyData, dsn: string): LoaderBundle {
  const options = data.dynamicSdkLoaderOptions ?? {};
  const major = majorOf(sdkVersion);
  const v7 = major >= 7;
  const tracing = v7 && options.hasPerformance === true;
  const replay = v7 && options.hasReplay === true;
  const feedback = v7 && options.hasFeedback === true;
  const logs = major >= 10 && options.hasLogsAndMetrics === true;
  const debug = options.hasDebug === true;

  // There is no bundle.tracing.feedback nor any feedback + logs bundle short of the full one.
  const bundleTracing = tracing || (feedback && logs);
  const bundleReplay = replay || (feedback && (tracing || logs));
  // v7 defaults to ES6 bundles; the loader serves ES5 where one exists (none with replay,
  // feedback or logs); v8 dropped ES5 bundles altogether.
  const es5 = major === 7 && !bundleReplay && !feedback && !logs;

  let modifier = '';
  if (bundleTracing) modifier += '.tracing';
  if (bundleReplay) modifier += '.replay';
  if (feedback) modifier += '.feedback';
  if (logs) modifier += '.logs.metrics';
  if (es5) modifier += '.es5';
  if (debug) modifier += '.debug';

  // Options only for what the key enabled, not for what a larger bundle happens to include.
  const config: SdkConfig = { dsn };
  if (options.hasPerformance === true) config.tracesSampleRate = 1;
  if (options.hasReplay === true) {
    config.replaysSessionSampleRate = 0.1;
    config.replaysOnErrorSampleRate = 1;
  }
  if (debug) config.debug = true;
  if (logs) config.enableLogs = true;

  return { modifier, config, isLazy: !(bundleTracing || bundleReplay || feedback || logs), addFeedback: feedback };
}

/** Sentry's JS_SDK_LOADER_DEFAULT_SDK_URL with its `%s` slots: none, the version, or version and modifier. */
export function sdkUrl(template: string, version: string, modifier: string): string {
  const slots = template.split('%s').length - 1;
  if (slots >= 2) return template.replace('%s', version).replace('%s', modifier);
  if (slots === 1) return template.replace('%s', version);
  return template;
}
