/**
 * Key health (issue 20): counting is always on, and clientkeys has no switch to turn it off. Two
 * honest ways to see what it costs:
 * - in a server: `clientkeys serve` as built, against the same built server started with
 *   bench/no-health.mjs preloaded (the recorder's accepted/refused/discarded do nothing, so nothing
 *   is flushed either), each on a database seeded alike, the ingest bench against both in
 *   alternating rounds (the order alternates too); the figure is server CPU per event. That the
 *   switch took is checked: after a request, the key's health answer shows `lastAccepted` on the
 *   first server and `null` on the second. A third server, health on as the first (`control`), shows
 *   what two identical servers differ by on this machine.
 * - in process (bench/health-micro.ts, a child process): the gate alone, alternating blocks with the
 *   real recorder and with a no-op one, for accepted and for refused requests: finer than the
 *   server's figure, which other work on the machine moves by more than the 2 µs the target allows.
 * Target: ≤ 2 µs of server CPU per event.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api, firstKey, ORG } from './api.ts';
import { CONNECTIONS, sdkEnvelope } from './ingest.ts';
import { load, median, medianResult, QUICK, ROOT, ROUNDS, startClientkeys, warmUp, type LoadResult, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const HEALTH_TARGET_MICROS = 2;
export const HEALTH_ROUNDS = Number(process.env.BENCH_HEALTH_ROUNDS ?? (QUICK ? 2 : ROUNDS * 2));

/** `control`: a second server with health on, as `health`: what two identical servers differ by here. */
const VARIANTS = ['health', 'noHealth', 'control'] as const;
type Variant = (typeof VARIANTS)[number];

export interface HealthMicro {
  block: number;
  blocks: number;
  /** µs per admit, accepted event: with the recorder, with a no-op one; and the difference. */
  accepted: number;
  acceptedOff: number;
  acceptedAdded: number;
  /** The same for a request refused (disabled key). */
  refused: number;
  refusedOff: number;
  refusedAdded: number;
}

export interface HealthFigures {
  health: LoadResult;
  noHealth: LoadResult;
  control: LoadResult;
  /** Server CPU µs per event, control − health (median of each round's difference): the noise floor. */
  controlMicros: number;
  rounds: Record<Variant, LoadResult>[];
  /** Server CPU µs per event that counting health adds (medians' difference). */
  cpuAddedMicros: number;
  /** The same as the median of each round's difference. */
  cpuAddedMicrosPaired: number;
  micro: HealthMicro;
}

const run = promisify(execFile);

export async function measureHealth(): Promise<HealthFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-health-'));
  const servers: Partial<Record<Variant, Server>> = {};
  try {
    const seeds = {} as Record<Variant, Awaited<ReturnType<typeof seedDatabase>>>;
    for (const variant of VARIANTS) {
      const databaseUrl = `sqlite:${join(dir, `${variant}.sqlite`)}`;
      seeds[variant] = await seedDatabase(databaseUrl, 1);
      servers[variant] = await startClientkeys(databaseUrl, {}, variant === 'noHealth' ? ['--import', join(ROOT, 'bench', 'no-health.mjs')] : []);
    }
    const options = (variant: Variant) => {
      const { listedProjectId, publicKey } = seeds[variant];
      return {
        url: `${servers[variant]!.url}/api/${listedProjectId}/envelope/?sentry_version=7&sentry_key=${publicKey}&sentry_client=sentry.javascript.node%2F11.12.0`,
        connections: CONNECTIONS,
        method: 'POST' as const,
        body: sdkEnvelope(publicKey),
      };
    };
    for (const variant of VARIANTS) {
      const server = servers[variant]!;
      const { url, body } = options(variant);
      const response = await fetch(url, { method: 'POST', body });
      if (response.status !== 200) throw new Error(`${variant}: ${response.status} ${await response.text()}`);
      const key = await firstKey(server, seeds[variant].token, 'listed');
      const health = await api<{ lastAccepted: string | null }>(server, seeds[variant].token, 'GET', `/api/0/projects/${ORG}/listed/keys/${key.id}/health/`);
      if ((health.lastAccepted !== null) !== (variant !== 'noHealth')) throw new Error(`${variant}: lastAccepted ${health.lastAccepted}: the switch did not take`);
      await warmUp(options(variant));
    }
    const rounds: Record<Variant, LoadResult>[] = [];
    for (let i = 0; i < HEALTH_ROUNDS; i += 1) {
      const results = {} as Record<Variant, LoadResult>;
      for (const variant of i % 2 ? [...VARIANTS].reverse() : VARIANTS) results[variant] = await load(servers[variant]!, options(variant));
      rounds.push(results);
    }
    for (const variant of VARIANTS) await servers[variant]!.stop();
    const health = medianResult(rounds.map((r) => r.health));
    const noHealth = medianResult(rounds.map((r) => r.noHealth));
    const control = medianResult(rounds.map((r) => r.control));
    const paired = (a: Variant, b: Variant) => Math.round(median(rounds.map((r) => r[a].cpuMicrosPerRequest - r[b].cpuMicrosPerRequest)) * 10) / 10;
    // The servers are stopped: the micro benchmark has the machine to itself (as far as this bench goes).
    const env = { ...process.env, ...(QUICK ? { BENCH_MICRO_BLOCKS: '4', BENCH_MICRO_BLOCK: '50000' } : {}) };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'health-micro.ts')], { cwd: ROOT, env });
    const micro = JSON.parse(stdout.trim().split('\n').at(-1)!) as HealthMicro;
    return {
      health,
      noHealth,
      rounds,
      cpuAddedMicros: Math.round((health.cpuMicrosPerRequest - noHealth.cpuMicrosPerRequest) * 10) / 10,
      cpuAddedMicrosPaired: paired('health', 'noHealth'),
      control,
      controlMicros: paired('control', 'health'),
      micro,
    };
  } finally {
    for (const server of Object.values(servers)) await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
