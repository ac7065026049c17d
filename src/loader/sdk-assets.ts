/**
 * The browser SDK bundles this server carries (built by scripts/js-sdk-bundles.mjs into
 * dist/js-sdk/<version>/), read once at start. The Subresource Integrity hash the loader puts on
 * its `<script>` is computed here from the very bytes this process serves, and checked against the
 * build's manifest: a bundle rebuilt under a running server can never be served with a hash that
 * does not match it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/** From src/loader/ and from dist/loader/ alike, the package root is two levels up. */
const SDK_DIR = new URL('../../dist/js-sdk/', import.meta.url);

const gzipAsync = promisify(gzip);

export interface SdkAsset {
  body: Buffer;
  /** `sha384-…` of `body`. */
  integrity: string;
  /** The gzip-compressed body, made on first use. */
  gzipped(): Promise<Buffer>;
}

export interface SdkAssets {
  /** The @sentry/browser version the bundles were built from, e.g. "11.12.0". */
  version: string;
  /** By file name, e.g. "bundle.tracing.replay.min.js". */
  files: ReadonlyMap<string, SdkAsset>;
}

interface Manifest {
  version: string;
  files: Record<string, { bytes: number; integrity: string }>;
}

export function integrityOf(bytes: Buffer): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

function asset(body: Buffer): SdkAsset {
  let compressed: Promise<Buffer> | undefined;
  return {
    body,
    integrity: integrityOf(body),
    gzipped: () => (compressed ??= gzipAsync(body, { level: 9 })),
  };
}

/** The bundles of the one SDK version in dist/js-sdk/; an error naming the fix when there are none. */
export async function loadSdkAssets(dir: URL = SDK_DIR): Promise<SdkAssets> {
  const missing = `The browser SDK bundles are missing from ${dir.pathname}: run \`npm run build\``;
  if (!existsSync(dir)) throw new Error(missing);
  const versions = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  if (versions.length !== 1) throw new Error(versions.length === 0 ? missing : `${dir.pathname} holds more than one SDK version (${versions.join(', ')}): run \`npm run build -- --force\``);
  const versionDir = new URL(`${versions[0]}/`, dir);
  const manifest = JSON.parse(await readFile(new URL('manifest.json', versionDir), 'utf8')) as Manifest;
  const files = new Map<string, SdkAsset>();
  for (const [name, described] of Object.entries(manifest.files)) {
    const loaded = asset(await readFile(new URL(name, versionDir)));
    if (loaded.integrity !== described.integrity) {
      throw new Error(`${name} in ${versionDir.pathname} does not match its manifest (rebuilt while reading?): run \`npm run build -- --force\``);
    }
    files.set(name, loaded);
  }
  return { version: manifest.version, files };
}
