/**
 * The package as an operator gets it: `npm pack`, then `npm install ./clientkeys-*.tgz` in an empty
 * folder, with no source checkout and no build step, and every command works from there through
 * `npx clientkeys`, the server included. Slow (better-sqlite3 compiles from source on install),
 * so it runs as `npm run test:package`, which CI runs after the suite.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteFixture } from '../helpers/fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const work = mkdtempSync(join(tmpdir(), 'clientkeys-package-'));
const app = join(work, 'app');
const timings: Record<string, number> = {};

/** The environment of a person's shell: none of the npm_* variables `npm run` sets for this test. */
const shellEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))),
  ...extra,
});

function timed<T>(name: string, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    timings[name] = Math.round(performance.now() - start);
  }
}

const DB = () => ({ DATABASE_URL: `sqlite:${join(app, 'data', 'clientkeys.sqlite')}`, PUBLIC_URL: 'https://keys.example.com' });

/** npm's own notices (about the machine's npm configuration) are not clientkeys' output. */
const withoutNpmNotices = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('npm warn') && !line.startsWith('npm notice'))
    .join('\n');

/** `npx clientkeys …` in the install folder, as the README says. */
function npx(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync('npx', ['clientkeys', ...args], { cwd: app, env: shellEnv({ ...DB(), ...env }), encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: withoutNpmNotices(run.stderr) };
}

/** The Default key the CLI test creates, whose loader the serve test fetches. */
let defaultKey: string | undefined;
const SDK_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', '@sentry', 'browser', 'package.json'), 'utf8')) as { version: string }).version;

const t = suiteFixture(async () => {
  // `npm run test:package` has just built dist/; packing runs the same build through `prepare`
  // otherwise, which is skipped here to save the second compile.
  const out = timed('npm pack', () =>
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: shellEnv(), encoding: 'utf8' }),
  );
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  const tarball = join(work, info!.filename);
  const packed = info!.files.map((f) => f.path);
  execFileSync('mkdir', ['-p', app]);
  timed('npm install (empty folder)', () =>
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: app,
      // node-gyp compiles better-sqlite3 on every core.
      env: shellEnv({ JOBS: 'max' }),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return { tarball, packed };
});

afterAll(() => {
  console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
  rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the compiled code, the binary, the web page\'s static files and the docs, and nothing else of the source tree', () => {
    expect(t.packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'SECURITY.md', 'bin/clientkeys', 'dist/cli/main.js', 'dist/server.js', 'docs/configuration.md', 'src/web/static/app.js', 'src/web/static/app.css']));
    // The page's script and stylesheet are served as they are written (no build step), so they ship from src/.
    const sourceTree = t.packed.filter((p) => /^(src|test|bench|\.ci)\/|\.map$|tsconfig|vitest/.test(p) && !p.startsWith('src/web/static/'));
    expect(sourceTree).toEqual([]);
    expect(t.tarball).toMatch(new RegExp(`clientkeys-${version.replace(/\./g, '\\.')}\\.tgz$`));
  });

  it('ships the browser SDK bundles the JS SDK loader serves, with their manifest and the SDK\'s licence', () => {
    const sdk = t.packed.filter((p) => p.startsWith(`dist/js-sdk/${SDK_VERSION}/`));
    expect(sdk).toEqual(expect.arrayContaining(['bundle.min.js', 'bundle.tracing.replay.min.js', 'bundle.tracing.replay.feedback.logs.metrics.debug.min.js', 'manifest.json', 'LICENSE'].map((f) => `dist/js-sdk/${SDK_VERSION}/${f}`)));
    expect(sdk.filter((p) => p.endsWith('.min.js'))).toHaveLength(24);
  });

  it('installs into an empty folder with its runtime dependencies only', () => {
    const installed = join(app, 'node_modules');
    expect(existsSync(join(installed, 'clientkeys', 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    for (const dev of ['typescript', 'vitest', 'tsx', 'autocannon', '@sentry/api', '@sentry/browser', 'esbuild']) expect(existsSync(join(installed, dev)), dev).toBe(false);
  });

  it('answers --version and --help', () => {
    expect(npx(['--version']).stdout).toBe(`${version}\n`);
    const help = npx(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: clientkeys/);
    expect(npx(['keys', 'import', '--help']).stdout).toMatch(/^Usage: clientkeys keys import/);
  });

  it('runs the operator commands against a new database', () => {
    const steps = timed('CLI commands', () => [npx(['org', 'create', 'acme']), npx(['project', 'create', 'acme/web', '--platform', 'node']), npx(['keys', 'list', 'acme/web', '--json'])]);
    for (const step of steps) expect({ code: step.code, stderr: step.stderr }).toEqual({ code: 0, stderr: '' });
    const keys = JSON.parse(steps[2]!.stdout) as { name: string; dsn: { public: string } }[];
    expect(keys.map((k) => k.name)).toEqual(['Default']);
    expect(keys[0]!.dsn.public).toMatch(/^https:\/\/[0-9a-f]{32}@keys\.example\.com\/1$/);
    defaultKey = /^https:\/\/([0-9a-f]{32})@/.exec(keys[0]!.dsn.public)?.[1];
    expect(npx(['migrate', '--dry-run']).stdout).toMatch(/up to date/);
  });

  it('serves: npx clientkeys serve answers /healthz, /readyz and the API, and stops on SIGTERM', async () => {
    const start = performance.now();
    // In a process group of its own, signalled as a whole as a service manager or a terminal's ^C
    // does: npx runs the server as a grandchild and does not pass a SIGTERM sent to itself on.
    const child = spawn('npx', ['clientkeys', 'serve'], { cwd: app, env: shellEnv({ ...DB(), PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // 'close', not 'exit': npx may exit on the signal before the server (its grandchild, which shares
    // the stdout pipe) has written its last lines; the pipe closes only when every holder is gone.
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    const messages: string[] = [];
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const url = await new Promise<string>((resolveUrl, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        messages.push(entry.msg ?? '');
        if (entry.msg === 'clientkeys is listening' && entry.url) resolveUrl(entry.url);
      });
      void exited.then(() => reject(new Error(`serve exited: ${errors}`)));
    });
    timings['serve start'] = Math.round(performance.now() - start);
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/api/0/`)).status).toBe(200);
      expect((await fetch(`${url}/api/0/openapi.json`)).status).toBe(200);
      const signIn = await fetch(`${url}/auth/login/`);
      expect({ status: signIn.status, type: signIn.headers.get('content-type') }).toEqual({ status: 200, type: 'text/html; charset=utf-8' });
      const script = await fetch(`${url}/_static/app.js`);
      expect({ status: script.status, type: script.headers.get('content-type') }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8' });
      // The Default key's loader loads the SDK from this install, and the bundle matches its hash.
      const loader = await (await fetch(`${url}/js-sdk-loader/${defaultKey}.min.js`)).text();
      const [, bundlePath, integrity] = /"https:\/\/keys\.example\.com(\/js-sdk\/[^"]+)", \{.*\}, (?:true|false), "(sha384-[^"]+)"/.exec(loader) ?? [];
      expect(bundlePath).toBe(`/js-sdk/${SDK_VERSION}/bundle.tracing.replay.min.js`);
      const bundle = await fetch(`${url}${bundlePath}`, { headers: { 'accept-encoding': 'identity' } });
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(`sha384-${createHash('sha384').update(Buffer.from(await bundle.arrayBuffer())).digest('base64')}`).toBe(integrity);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    await exited;
    expect(messages).toContain('shutting down: finishing in-flight requests');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
