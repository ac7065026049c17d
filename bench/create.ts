/**
 * Create throughput of the management API (`POST …/keys/`, 10 connections, every answer a 201) and
 * the keys list (page of 100, 50 connections) on SQLite and on PostgreSQL, alternating, each on a
 * fresh database holding 1,000 keys in the listed project. PostgreSQL is a
 * private cluster started for the run with its default durability (fsync and synchronous commit
 * on); without PostgreSQL's binaries that column says so and the rest of the bench runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../test/helpers/postgres-cluster.ts';
import { load, medianResult, ratio, ROUNDS, startClientkeys, warmUp, type LoadResult, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const CREATE_CONNECTIONS = 10;
const SEEDED_KEYS = 1000;

export interface CreateFigures {
  sqlite: LoadResult;
  postgres: LoadResult | { unavailable: string };
  /** PostgreSQL / SQLite throughput. */
  postgresRatio: number | null;
  list: { sqlite: LoadResult; postgres: LoadResult | null; postgresRatio: number | null };
}

async function startOn(databaseUrl: string): Promise<{ server: Server; token: string }> {
  const { token } = await seedDatabase(databaseUrl, SEEDED_KEYS);
  return { server: await startClientkeys(databaseUrl), token };
}

function listOptions(server: Server, token: string) {
  return { url: `${server.url}/api/0/projects/bench/listed/keys/?per_page=100`, headers: { authorization: `Bearer ${token}` }, connections: 50 };
}

function options(server: Server, token: string) {
  return {
    url: `${server.url}/api/0/projects/bench/created/keys/`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{"name":"bench"}',
    connections: CREATE_CONNECTIONS,
  };
}

async function tryCluster(): Promise<Cluster | string> {
  try {
    return await startCluster({ durable: true });
  } catch (error) {
    return (error as Error).message;
  }
}

export async function measureCreate(): Promise<CreateFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-create-'));
  const cluster = await tryCluster();
  const started: Server[] = [];
  try {
    const sqlite = await startOn(`sqlite:${join(dir, 'bench.sqlite')}`);
    started.push(sqlite.server);
    const postgres = typeof cluster === 'string' ? undefined : await startOn(cluster.url());
    if (postgres) started.push(postgres.server);
    const targets = [sqlite, ...(postgres ? [postgres] : [])];
    for (const { server, token } of targets) {
      await warmUp(options(server, token));
      await warmUp(listOptions(server, token));
    }
    const runs: LoadResult[][] = [];
    const listRuns: LoadResult[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const results: LoadResult[] = [];
      const listResults: LoadResult[] = [];
      for (const { server, token } of targets) {
        results.push(await load(server, options(server, token)));
        listResults.push(await load(server, listOptions(server, token)));
      }
      runs.push(results);
      listRuns.push(listResults);
    }
    const sqliteResult = medianResult(runs.map((r) => r[0] as LoadResult));
    const postgresResult = postgres ? medianResult(runs.map((r) => r[1] as LoadResult)) : undefined;
    const sqliteList = medianResult(listRuns.map((r) => r[0] as LoadResult));
    const postgresList = postgres ? medianResult(listRuns.map((r) => r[1] as LoadResult)) : null;
    return {
      list: { sqlite: sqliteList, postgres: postgresList, postgresRatio: postgresList ? ratio(postgresList.requestsPerSecond, sqliteList.requestsPerSecond) : null },
      sqlite: sqliteResult,
      postgres: postgresResult ?? { unavailable: cluster as string },
      postgresRatio: postgresResult ? ratio(postgresResult.requestsPerSecond, sqliteResult.requestsPerSecond) : null,
    };
  } finally {
    for (const server of started) await server.stop();
    if (typeof cluster !== 'string') cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
