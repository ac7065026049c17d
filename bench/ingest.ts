/**
 * The ingest path against a bare node:http server that reads the body and answers the same JSON:
 * `POST /api/<pid>/envelope/?sentry_key=…` with an @sentry/node-shaped event envelope, 50
 * connections. Both servers run in their own processes, the load alternates between them for
 * BENCH_ROUNDS rounds and each side's median run is reported, so other work on the machine
 * weighs on both alike. Targets: ≥ 0.75× the bare throughput, p99 ≤ 5 ms. BENCH_PROFILE=1
 * writes a CPU profile of the clientkeys process to bench/results/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServices, createServices } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import type { Actor } from '../src/services/principal.ts';
import { load, machine, medianResult, printTable, RESULTS, ROOT, ROUNDS, DURATION, startProcess, warmUp, type LoadResult, type Server } from './lib.ts';

export const CONNECTIONS = 50;
export const TARGET_RATIO = 0.75;
export const TARGET_P99_MS = 5;

const ACTOR: Actor = { userId: null, keyId: null, label: 'bench', ipAddress: null };
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

/** A database with one project and one key without a rate limit. */
async function prepareDatabase(dir: string): Promise<{ databaseUrl: string; projectId: number; publicKey: string }> {
  const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
  const services = createServices(loadConfig({ DATABASE_URL: databaseUrl }));
  try {
    await services.db.migrate();
    const org = await services.organizations.createOrganization('bench', undefined, ACTOR);
    if (!org.ok) throw new Error(org.error);
    const project = await services.projects.create(org.value, { name: 'web', slug: 'web' }, ACTOR);
    if (!project.ok) throw new Error(project.reason);
    return { databaseUrl, projectId: project.project.id, publicKey: project.defaultKey.public_key };
  } finally {
    await closeServices(services);
  }
}

function startClientkeys(databaseUrl: string): Promise<Server> {
  const args = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS}`] : [];
  return startProcess(process.execPath, [...args, join(ROOT, 'bin', 'clientkeys'), 'serve'], { DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info' }, (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      return entry.msg === 'clientkeys is listening' ? entry.url : undefined;
    } catch {
      return undefined;
    }
  });
}

/** A reference server of bench/: `bare-server.ts` or `fastify-server.ts`. */
function startReference(file: string): Promise<Server> {
  return startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', file)], { BENCH_EVENT_ID: EVENT_ID }, (line) =>
    line.startsWith('listening ') ? line.slice('listening '.length) : undefined,
  );
}

function row(server: string, r: LoadResult): Record<string, string | number> {
  return { server, 'req/s': r.requestsPerSecond, 'CPU µs/req': r.cpuMicrosPerRequest, 'p50 ms': r.p50, 'p99 ms': r.p99, non2xx: r.non2xx, errors: r.errors };
}

async function check(server: Server, path: string, body: string): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body });
  const text = await response.text();
  if (response.status !== 200 || text !== `{"id":"${EVENT_ID}"}`) throw new Error(`unexpected answer ${response.status} ${text}`);
}

const SERVERS = ['bare', 'fastify', 'clientkeys'] as const;
type ServerName = (typeof SERVERS)[number];

export interface IngestBenchResult {
  name: 'ingest';
  machine: ReturnType<typeof machine>;
  connections: number;
  bare: LoadResult;
  /** Fastify alone, for reference: what the framework costs before clientkeys adds anything. */
  fastify: LoadResult;
  clientkeys: LoadResult;
  rounds: Record<ServerName, LoadResult>[];
  ratio: number;
  cpuRatio: number;
  targets: { ratio: number; p99Ms: number };
  met: boolean;
}

export async function runIngestBench(): Promise<IngestBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-'));
  try {
    const { databaseUrl, projectId, publicKey } = await prepareDatabase(dir);
    const path = `/api/${projectId}/envelope/?sentry_version=7&sentry_key=${publicKey}&sentry_client=sentry.javascript.node%2F11.12.0`;
    const body = sdkEnvelope(publicKey);
    const servers: Record<ServerName, Server> = {
      bare: await startReference('bare-server.ts'),
      fastify: await startReference('fastify-server.ts'),
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
    const bare = medianResult(rounds.map((r) => r.bare));
    const fastify = medianResult(rounds.map((r) => r.fastify));
    const clientkeys = medianResult(rounds.map((r) => r.clientkeys));
    const ratio = Math.round((clientkeys.requestsPerSecond / bare.requestsPerSecond) * 100) / 100;
    // The same comparison in CPU per request: how much of a core each request costs, which other
    // work on a shared machine disturbs far less than throughput.
    const cpuRatio = Math.round((bare.cpuMicrosPerRequest / clientkeys.cpuMicrosPerRequest) * 100) / 100;
    const result: IngestBenchResult = {
      name: 'ingest',
      machine: machine(),
      connections: CONNECTIONS,
      bare,
      fastify,
      clientkeys,
      rounds,
      ratio,
      cpuRatio,
      targets: { ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS },
      met: ratio >= TARGET_RATIO && clientkeys.p99 <= TARGET_P99_MS && clientkeys.non2xx === 0 && clientkeys.errors === 0,
    };
    printTable(`ingest: POST envelope (${body.length} bytes), ${CONNECTIONS} connections, median of ${ROUNDS} alternating runs of ${DURATION} s`, [
      row('bare node:http', bare),
      row('fastify alone (reference)', fastify),
      row('clientkeys', clientkeys),
    ]);
    process.stdout.write(
      `throughput ratio ${ratio}× (target ≥ ${TARGET_RATIO}×), p99 ${clientkeys.p99} ms (target ≤ ${TARGET_P99_MS} ms): ${result.met ? 'met' : 'NOT met'}\n` +
        `CPU per request ratio ${cpuRatio}× (bare ${bare.cpuMicrosPerRequest} µs, clientkeys ${clientkeys.cpuMicrosPerRequest} µs); load average ${result.machine.loadAverage.join(' ')}\n`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
