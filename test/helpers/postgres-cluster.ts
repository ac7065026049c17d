/**
 * A private PostgreSQL cluster on loopback for tests: initdb into a temporary directory (as the
 * `postgres` user when running as root, since initdb refuses root), pg_ctl start on a free port,
 * and stop/start/destroy for the tests that take the database away.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function binDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL server binaries not found: install the "postgresql" package or set PG_BIN');
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

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
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
  const bin = binDir();
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (tool: string, args: string[]) => {
    const result = spawnSync(join(bin, tool), args, { encoding: 'utf8', ...(owner ?? {}), cwd: dir });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
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
