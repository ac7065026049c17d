/**
 * Create and list throughput of the management API on SQLite and on PostgreSQL, measured in one
 * run on this machine (ratios, not absolutes, are what compare across runs).
 *
 *   npx tsx bench/storage.ts [--quick]
 *
 * PostgreSQL is a private cluster started for the run (as the tests do); SQLite a file in a
 * temporary directory. Each runs the same app, the same seed, the same load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.ts';
import { closeServices, createServices } from '../src/composition.ts';
import type { Config, DatabaseConfig } from '../src/config.ts';
import type { Services } from '../src/services/index.ts';
import { startCluster } from '../test/helpers/postgres-cluster.ts';

const quick = process.argv.includes('--quick');
const DURATION = quick ? 3 : 10;
const SEED_KEYS = 1000;
const actor = { userId: null, keyId: null, label: 'bench', ipAddress: null };

interface Figures {
  createPerSecond: number;
  createP99: number;
  listPerSecond: number;
  listP99: number;
}

async function seed(services: Services) {
  const org = await services.organizations.createOrganization('bench', undefined, actor);
  if (!org.ok) throw new Error(org.error);
  const user = await services.users.create('bench@example.com', {});
  if (!user.ok) throw new Error(user.error);
  await services.organizations.addMember(org.value, user.value, 'owner', undefined, actor);
  const token = (await services.credentials.issueUserToken(user.value, ['project:admin', 'org:read'])).token;
  for (const slug of ['listed', 'created']) {
    const project = await services.projects.create(org.value, { name: slug, slug }, actor);
    if (!project.ok) throw new Error(project.reason);
    if (slug === 'listed') {
      for (let i = 0; i < SEED_KEYS; i++) await services.keys.create(project.project, { name: `k${i}`, useCase: 'user' }, actor);
    }
  }
  return token;
}

async function load(url: string, options: Partial<autocannon.Options>) {
  // A worker thread: the load must not share the server's event loop.
  const result = await autocannon({ url, duration: DURATION, workers: 1, ...options });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx and ${result.errors} errors at ${url}`);
  return { perSecond: result.requests.average, p99: result.latency.p99 };
}

async function measure(database: DatabaseConfig): Promise<Figures> {
  const config: Config = { database, port: 0, host: '127.0.0.1', publicUrl: 'http://bench', apiRateLimit: 0, logLevel: 'silent', autoMigrate: false };
  const services = createServices(config);
  await services.db.migrate();
  const token = await seed(services);
  const app = await buildApp({ config, services });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  try {
    const create = await load(`${base}/api/0/projects/bench/created/keys/`, { method: 'POST', headers, body: '{"name":"bench"}', connections: 10 });
    const list = await load(`${base}/api/0/projects/bench/listed/keys/?per_page=100`, { headers, connections: 50 });
    return { createPerSecond: create.perSecond, createP99: create.p99, listPerSecond: list.perSecond, listP99: list.p99 };
  } finally {
    await app.close();
    await closeServices(services);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-'));
const cluster = await startCluster();
try {
  const sqlite = await measure({ kind: 'sqlite', path: join(dir, 'bench.sqlite') });
  const postgres = await measure({ kind: 'postgres', url: cluster.url('postgres'), poolSize: 10, connectTimeoutMs: 5000 });
  const row = (name: string, s: number, p: number, unit: string) =>
    `| ${name} | ${s.toFixed(0)} ${unit} | ${p.toFixed(0)} ${unit} | ${(p / s).toFixed(2)}× |`;
  console.log(`\nManagement API on SQLite vs PostgreSQL (${DURATION} s per figure, ${SEED_KEYS} keys listed 100 per page)\n`);
  console.log('| figure | SQLite | PostgreSQL | PostgreSQL / SQLite |');
  console.log('| --- | --- | --- | --- |');
  console.log(row('create (10 connections)', sqlite.createPerSecond, postgres.createPerSecond, 'req/s'));
  console.log(row('list, page of 100 (50 connections)', sqlite.listPerSecond, postgres.listPerSecond, 'req/s'));
  console.log(row('create p99', sqlite.createP99, postgres.createP99, 'ms'));
  console.log(row('list p99', sqlite.listP99, postgres.listP99, 'ms'));
} finally {
  cluster.destroy();
  rmSync(dir, { recursive: true, force: true });
}
