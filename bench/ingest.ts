/**
 * The ingest path against a bare node:http server that reads the body and answers the same JSON:
 * `POST /api/<pid>/envelope/?sentry_key=…` with an @sentry/node-shaped event envelope, 50
 * connections. Two more references show where the difference goes: Fastify alone (the framework)
 * and clientkeys' gate behind bare node:http (the gate inside a server, without the framework).
 * Every server runs in its own process, the load alternates between them for BENCH_ROUNDS rounds
 * and each one's median run is reported, so other work on the machine weighs on all alike.
 * Targets: ≥ 0.75× the bare throughput, p99 ≤ 5 ms. BENCH_PROFILE=1 writes a CPU profile of the
 * clientkeys process to bench/results/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, medianResult, ratio as ratioOf, ROUNDS, startClientkeys, startReference, warmUp, type LoadResult, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const CONNECTIONS = 50;
export const TARGET_RATIO = 0.75;
export const TARGET_P99_MS = 5;

const EVENT_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** What @sentry/node 11 sends for a captured exception, give or take the stack. */
export function sdkEnvelope(publicKey: string): string {
  const header = {
    event_id: EVENT_ID,
    sent_at: '2026-11-23T16:10:26.768Z',
    sdk: { name: 'sentry.javascript.node', version: '11.12.0' },
    trace: { environment: 'production', release: 'eco@1.0.0', public_key: publicKey, trace_id: 'b'.repeat(32) },
  };
  const event = {
    event_id: EVENT_ID,
    level: 'error',
    platform: 'node',
    timestamp: 1795428000.123,
    environment: 'production',
    release: 'eco@1.0.0',
    server_name: 'web-1',
    exception: {
      values: [
        {
          type: 'TypeError',
          value: "Cannot read properties of undefined (reading 'id')",
          mechanism: { type: 'onuncaughtexception', handled: false },
          stacktrace: {
            frames: Array.from({ length: 8 }, (_, i) => ({
              filename: `/app/src/module-${i}.js`,
              function: `handler${i}`,
              lineno: 10 + i,
              colno: 5,
              in_app: i > 3,
            })),
          },
        },
      ],
    },
    contexts: { runtime: { name: 'node', version: 'v20.20.2' }, os: { name: 'Linux' }, trace: { trace_id: 'b'.repeat(32), span_id: 'c'.repeat(16) } },
    sdk: { name: 'sentry.javascript.node', version: '11.12.0', integrations: ['Http', 'Console', 'OnUncaughtException'] },
  };
  return `${JSON.stringify(header)}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
}

async function check(server: Server, path: string, body: string): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body });
  const text = await response.text();
  if (response.status !== 200 || text !== `{"id":"${EVENT_ID}"}`) throw new Error(`unexpected answer ${response.status} ${text}`);
}

const SERVERS = ['bare', 'fastify', 'gate', 'clientkeys'] as const;
type ServerName = (typeof SERVERS)[number];

export interface IngestFigures {
  bare: LoadResult;
  /** Fastify alone, for reference: what the framework costs before clientkeys adds anything. */
  fastify: LoadResult;
  /** clientkeys' gate behind bare node:http, for reference: what the gate costs inside a server. */
  gate: LoadResult;
  clientkeys: LoadResult;
  /** clientkeys / bare throughput. */
  ratio: number;
  /**
   * The same comparison in server CPU per request (bare / clientkeys): what each request costs of a
   * core, which other work on a shared machine disturbs far less than throughput.
   */
  cpuRatio: number;
}

export async function measureIngest(): Promise<IngestFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-ingest-'));
  try {
    const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
    const { listedProjectId, publicKey } = await seedDatabase(databaseUrl, 1);
    const path = `/api/${listedProjectId}/envelope/?sentry_version=7&sentry_key=${publicKey}&sentry_client=sentry.javascript.node%2F11.12.0`;
    const body = sdkEnvelope(publicKey);
    const servers: Record<ServerName, Server> = {
      bare: await startReference('bare-server.ts', { BENCH_EVENT_ID: EVENT_ID }),
      fastify: await startReference('fastify-server.ts', { BENCH_EVENT_ID: EVENT_ID }),
      gate: await startReference('gate-server.ts', { DATABASE_URL: databaseUrl }),
      clientkeys: await startClientkeys(databaseUrl),
    };
    const rounds: Record<ServerName, LoadResult>[] = [];
    try {
      const options = (server: Server) => ({ url: `${server.url}${path}`, connections: CONNECTIONS, method: 'POST' as const, body });
      for (const server of Object.values(servers)) {
        await check(server, path, body);
        await warmUp(options(server));
      }
      for (let round = 0; round < ROUNDS; round += 1) {
        const results = {} as Record<ServerName, LoadResult>;
        for (const name of SERVERS) results[name] = await load(servers[name], options(servers[name]));
        rounds.push(results);
      }
    } finally {
      for (const server of Object.values(servers)) await server.stop();
    }
    const [bare, fastify, gate, clientkeys] = SERVERS.map((name) => medianResult(rounds.map((r) => r[name]))) as [LoadResult, LoadResult, LoadResult, LoadResult];
    return {
      bare,
      fastify,
      gate,
      clientkeys,
      ratio: ratioOf(clientkeys.requestsPerSecond, bare.requestsPerSecond),
      cpuRatio: ratioOf(bare.cpuMicrosPerRequest, clientkeys.cpuMicrosPerRequest),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
