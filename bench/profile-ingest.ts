/**
 * A CPU profile of clientkeys under the ingest load alone (an @sentry/node event envelope with
 * `?sentry_key=`, 50 connections, after a warm-up): `npx tsx bench/profile-ingest.ts` writes it to
 * bench/results/ for `node --cpu-prof` tooling (Chrome DevTools, speedscope).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sdkEnvelope } from './ingest.ts';
import { startClientkeys } from './lib.ts';
import { seedDatabase } from './seed.ts';

process.env.BENCH_PROFILE = '1';
const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-profile-'));
try {
  const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
  const { listedProjectId, publicKey } = await seedDatabase(databaseUrl, 1_000);
  const server = await startClientkeys(databaseUrl);
  const options = {
    url: `${server.url}/api/${listedProjectId}/envelope/?sentry_key=${publicKey}`,
    method: 'POST' as const,
    body: sdkEnvelope(publicKey),
    connections: 50,
  };
  await autocannon({ ...options, duration: 3 });
  const result = await autocannon({ ...options, duration: Number(process.env.BENCH_DURATION ?? 10) });
  process.stdout.write(`${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx\n`);
  await server.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
