#!/usr/bin/env node
/**
 * Builds dist/ from src/ without ever leaving a half-built dist/ behind, and only when the
 * sources changed since the last build.
 *
 * Why: `npm start` builds before it serves, and the README's next step runs `npx clientkeys …`
 * in another terminal at once. Deleting dist/ and compiling into it made that command (and once
 * the server itself) fail with ERR_MODULE_NOT_FOUND for the seconds tsc ran. So tsc writes into a
 * folder beside dist/, and each file is then moved into place with rename(2), which replaces a
 * file atomically: a process starting at any moment finds every module, old or new.
 *
 * `--force` builds even when the fingerprint says dist/ is current.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-fingerprint');
const require = createRequire(import.meta.url);

/** Every file below `dir`, as paths relative to it, in a stable order. */
function filesBelow(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** What the output depends on: the sources, the compiler options and the compiler's version. */
function fingerprint() {
  const hash = createHash('sha256');
  hash.update(require('typescript/package.json').version);
  for (const config of ['tsconfig.json', 'tsconfig.build.json']) hash.update(readFileSync(join(root, config)));
  for (const file of filesBelow(join(root, 'src'))) {
    if (!/\.(ts|mts|cts)$/.test(file)) continue;
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(join(root, 'src', file)));
  }
  return hash.digest('hex');
}

function compile(outDir) {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
  return result.status === 0;
}

/** Moves each new file over its old self, then removes the modules the new build no longer has. */
function swapInto(next) {
  const fresh = new Set(filesBelow(next));
  for (const file of fresh) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    renameSync(join(next, file), join(dist, file));
  }
  for (const file of filesBelow(dist)) {
    if (!fresh.has(file) && join(dist, file) !== stamp) rmSync(join(dist, file));
  }
}

const wanted = fingerprint();
if (!process.argv.includes('--force') && existsSync(stamp) && statSync(stamp).isFile() && readFileSync(stamp, 'utf8') === wanted) {
  console.log('dist/ is up to date');
  process.exit(0);
}
const next = join(root, `.dist-next-${process.pid}`);
rmSync(next, { recursive: true, force: true });
try {
  if (!compile(next)) process.exit(1);
  swapInto(next);
  writeFileSync(stamp, wanted);
} finally {
  rmSync(next, { recursive: true, force: true });
}
