/**
 * Which browser SDK version a key's loader serves (S:src/sentry/loader/browsersdkversion.py): the
 * highest stable version in the registry whose major matches the key's `browserSdkVersion`;
 * "latest" means the latest before v8, as Sentry decided when v8 dropped the ES5 bundles.
 */

/**
 * The registry Sentry reads from `_registry.json`, reduced to what the choice needs: the highest
 * stable release of each major (from the npm registry's @sentry/browser versions, November 2026).
 */
export const BROWSER_SDK_RELEASES = ['11.12.0', '10.78.0', '9.47.2', '8.55.2', '7.120.4', '6.19.7', '5.30.0', '4.6.6'] as const;

/** Sentry's JS_SDK_LOADER_SDK_VERSION: what is served when no release matches. */
export const FALLBACK_SDK_VERSION = '10.78.0';

const STABLE = /^\d+\.\d+\.\d+$/;

export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function highest(versions: readonly string[]): string {
  const stable = versions.filter((v) => STABLE.test(v));
  if (stable.length === 0) return FALLBACK_SDK_VERSION;
  return stable.reduce((best, v) => (compareVersions(v, best) > 0 ? v : best));
}

export function majorOf(version: string): number {
  return Number(version.split('.', 1)[0]);
}

/** `get_highest_selected_browser_sdk_version`. */
export function selectSdkVersion(selected: string, releases: readonly string[] = BROWSER_SDK_RELEASES): string {
  if (selected === 'latest') return highest(releases.filter((v) => STABLE.test(v) && majorOf(v) < 8));
  const major = selected.split('.', 1)[0];
  return highest(releases.filter((v) => v.split('.', 1)[0] === major));
}
