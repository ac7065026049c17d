/**
 * What `/js-sdk-loader/{public_key}.js` serves for a key: the no-op loader, or the loader with its
 * SDK bundle URL, integrity hash and init options.
 *
 * Which key: the one named, or, once it has been rotated, the newest live key of its rotation
 * chain, so a page keeps its script tag and moves to the successor's DSN as soon as it loads the
 * loader again (clientkeys rotates keys; Sentry does not). A chain with no live key, like a
 * disabled or unknown key, gets the no-op.
 *
 * Where the SDK comes from (JS_SDK_LOADER_SDK_URL):
 *  - unset: this server's own bundles (src/loader/sdk-assets.ts), with their integrity hashes, for
 *    every `browserSdkVersion` from 8.x on; the package carries one SDK version, newer than any of
 *    Sentry's choices, and the loader-facing API has been the same since v8 (functional
 *    integrations). Choices before v8 (7.x, and "latest", which Sentry pins to the latest 7.x)
 *    load Sentry's own bundle from its CDN, as sentry.io does: there is no v7 build on npm to
 *    bundle, and v7's API (class integrations, ES5 bundles) is not what a v8+ bundle offers;
 *  - a URL template: that CDN, with Sentry's version choice, for every key;
 *  - empty: the no-op loader, as in Sentry.
 */
import { SENTRY_CDN_SDK_URL } from '../config.ts';
import { DEFAULT_BROWSER_SDK_VERSION } from '../domain/keys.ts';
import { keyIsLive } from '../domain/keys.ts';
import type { IngestKey } from '../ingest/key-cache.ts';
import { loaderBundle, sdkUrl } from './bundle.ts';
import type { LoaderContext } from './script.ts';
import type { SdkAssets } from './sdk-assets.ts';
import { majorOf, selectSdkVersion } from './sdk-version.ts';

export type LoaderAnswer = { kind: 'noop' } | { kind: 'loader'; context: LoaderContext; surrogateKey: string };

export interface LoaderSources {
  /** The ingest key map's lookup. */
  key(publicKey: string): IngestKey | undefined | Promise<IngestKey | undefined>;
  dsn(key: IngestKey): string | Promise<string>;
  /** JS_SDK_LOADER_SDK_URL as configured: null for this server's bundles. */
  sdkUrl: string | null;
  /** PUBLIC_URL, where this server's bundles are. */
  publicUrl: string;
  assets: SdkAssets;
  now(): number;
}

/** A rotation chain longer than this is not followed further (each link is one rotation). */
const MAX_ROTATIONS = 20;

/** The newest live key of `first`'s rotation chain, if any. */
async function servedKey(first: IngestKey, sources: LoaderSources): Promise<IngestKey | undefined> {
  const chain = [first];
  const seen = new Set([first.publicKey]);
  let last = first;
  while (last.replacedBy !== null && chain.length <= MAX_ROTATIONS && !seen.has(last.replacedBy)) {
    seen.add(last.replacedBy);
    const next = await sources.key(last.replacedBy);
    if (!next) break;
    chain.push(next);
    last = next;
  }
  const now = sources.now();
  return chain.reverse().find((key) => keyIsLive(key, now));
}

/** The first version this server's bundles stand in for: the loader API of v8 and later. */
const FIRST_SELF_SERVED_MAJOR = 8;

export async function resolveLoader(publicKey: string, sources: LoaderSources): Promise<LoaderAnswer> {
  if (sources.sdkUrl === '') return { kind: 'noop' };
  const named = await sources.key(publicKey);
  const key = named && (await servedKey(named, sources));
  if (!key) return { kind: 'noop' };

  const choice = key.data.browserSdkVersion || DEFAULT_BROWSER_SDK_VERSION;
  const cdnVersion = selectSdkVersion(choice);
  const selfServed = sources.sdkUrl === null && majorOf(cdnVersion) >= FIRST_SELF_SERVED_MAJOR;
  const version = selfServed ? sources.assets.version : cdnVersion;
  const bundle = loaderBundle(version, key.data, await sources.dsn(key));

  let jsSdkUrl: string;
  let integrity: string | null = null;
  if (selfServed) {
    const file = `bundle${bundle.modifier}.min.js`;
    const asset = sources.assets.files.get(file);
    if (!asset) throw new Error(`no ${file} among the SDK bundles of ${version}`);
    jsSdkUrl = `${sources.publicUrl.replace(/\/+$/, '')}/js-sdk/${version}/${file}`;
    integrity = asset.integrity;
  } else {
    jsSdkUrl = sdkUrl(sources.sdkUrl ?? SENTRY_CDN_SDK_URL, version, bundle.modifier);
  }
  return {
    kind: 'loader',
    // The key the page's script tag names, which the loader looks for among the page's scripts.
    context: { publicKey, jsSdkUrl, integrity, config: bundle.config, isLazy: bundle.isLazy, addFeedback: bundle.addFeedback },
    surrogateKey: `project/${key.projectId} sdk/${version} sdk-loader`,
  };
}
