#!/usr/bin/env node
/**
 * Builds dist/ without ever leaving a half-built dist/ behind, and only the parts whose inputs
 * changed since the last build. Two parts, each with its own fingerprint:
 *  - the server: src/ compiled by tsc;
 *  - the browser SDK bundles the JS SDK loader serves (dist/js-sdk/, scripts/js-sdk-bundles.mjs),
 *    built with esbuild from the pinned @sentry/browser.
 *
 * Why: `npm start` builds before it serves, and the README's next step runs `npx clientkeys …`
 * in another terminal at once. Deleting dist/ and compiling into it made that command (and once
 * the server itself) fail with ERR_MODULE_NOT_FOUND for the seconds tsc ran. So each part is
 * written into a folder beside dist/, and each file is then moved into place with rename(2), which
 * replaces a file atomically: a process starting at any moment finds every module, old or new.
 * The bundles' manifest (their integrity hashes) is moved last, after the bundles it describes.
 *
 * `--force` builds every part even when its fingerprint says dist/ is current.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_PACKAGES, BUNDLE_SOURCES, buildSdkBundles } from './js-sdk-bundles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

/** Every file below `dir`, as paths relative to it, in a stable order. */
function filesBelow(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function packageVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

const SDK_DIR = 'js-sdk';
const inSdkDir = (file) => file === SDK_DIR || file.startsWith(`${SDK_DIR}${sep}`);

const parts = [
  {
    name: 'server',
    stamp: join(dist, '.build-fingerprint'),
    /** What the output depends on: the sources, the compiler options and the compiler's version. */
    fingerprint() {
      const hash = createHash('sha256');
      hash.update(packageVersion('typescript'));
      for (const config of ['tsconfig.json', 'tsconfig.build.json']) hash.update(readFileSync(join(root, config)));
      for (const file of filesBelow(join(root, 'src'))) {
        if (!/\.(ts|mts|cts)$/.test(file)) continue;
        hash.update(`\0${file}\0`);
        hash.update(readFileSync(join(root, 'src', file)));
      }
      return hash.digest('hex');
    },
    async build(outDir) {
      const tsc = require.resolve('typescript/bin/tsc');
      const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
      return result.status === 0;
    },
    owns: (file) => !inSdkDir(file),
  },
  {
    name: 'browser SDK bundles',
    stamp: join(dist, '.js-sdk-fingerprint'),
    /** The bundle script and its shims, and the versions of esbuild and of the SDK's packages. */
    fingerprint() {
      const hash = createHash('sha256');
      for (const name of BUNDLE_PACKAGES) hash.update(`\0${name}@${packageVersion(name)}`);
      for (const file of BUNDLE_SOURCES) {
        hash.update(`\0${relative(root, file)}\0`);
        hash.update(readFileSync(file));
      }
      return hash.digest('hex');
    },
    async build(outDir) {
      const manifest = await buildSdkBundles(outDir);
      const total = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
      console.log(`built ${Object.keys(manifest.files).length} @sentry/browser ${manifest.version} bundles (${(total / 1e6).toFixed(1)} MB) into dist/${SDK_DIR}/`);
      return true;
    },
    owns: inSdkDir,
  },
];

const stamps = new Set(parts.map((part) => part.stamp));

/** Moves each new file over its old self (manifests last), then removes what this part no longer has. */
function swapInto(next, part) {
  const fresh = filesBelow(next);
  const last = (file) => (file.endsWith('manifest.json') ? 1 : 0);
  for (const file of [...fresh].sort((a, b) => last(a) - last(b))) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    renameSync(join(next, file), join(dist, file));
  }
  const keep = new Set(fresh);
  for (const file of filesBelow(dist)) {
    if (part.owns(file) && !keep.has(file) && !stamps.has(join(dist, file))) rmSync(join(dist, file));
  }
  // A folder emptied so (an SDK version no longer built) goes too, deepest first.
  const folders = readdirSync(dist, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((folder) => part.owns(relative(dist, folder)))
    .sort((a, b) => b.length - a.length);
  for (const folder of folders) if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true });
}

const force = process.argv.includes('--force');
let built = 0;
for (const part of parts) {
  const wanted = part.fingerprint();
  if (!force && existsSync(part.stamp) && statSync(part.stamp).isFile() && readFileSync(part.stamp, 'utf8') === wanted) continue;
  const next = join(root, `.dist-next-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  try {
    if (!(await part.build(next))) process.exit(1);
    swapInto(next, part);
    writeFileSync(part.stamp, wanted);
    built += 1;
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
}
if (built === 0) console.log('dist/ is up to date');
