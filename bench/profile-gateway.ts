/**
 * CPU profiles of clientkeys in gateway mode (issue 16): the ingest envelope to a project whose
 * upstream is a second `clientkeys serve`, 50 connections, then the wait until the queue is empty.
 * `npx tsx bench/profile-gateway.ts` writes both processes' profiles to bench/results/ (the
 * gateway's is the larger), for `node --cpu-prof` tooling (Chrome DevTools, speedscope).
 * BENCH_RATE=3000: an even 3,000 events/s instead (lib.ts's `paced`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { api, ORG, sleep } from './api.ts';
import { sdkEnvelope } from './ingest.ts';
import { paced, startClientkeys } from './lib.ts';
import { seedDatabase } from './seed.ts';

// BENCH_PROFILE=0: the same run without profiles (for the figures alone).
if (process.env.BENCH_PROFILE === '0') delete process.env.BENCH_PROFILE;
else process.env.BENCH_PROFILE = '1';
const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-profile-gateway-'));
try {
  const backendDb = `sqlite:${join(dir, 'backend.sqlite')}`;
  const mainDb = `sqlite:${join(dir, 'gateway.sqlite')}`;
  const backendSeed = await seedDatabase(backendDb, 1);
  const seeded = await seedDatabase(mainDb, 1);
  const upstream = await startClientkeys(backendDb);
  const main = await startClientkeys(mainDb, { UPSTREAM_HOSTS: '127.0.0.1', ...(process.env.DELIVERY_CONCURRENCY ? { DELIVERY_CONCURRENCY: process.env.DELIVERY_CONCURRENCY } : {}) });
  const dsn = `http://${backendSeed.publicKey}@127.0.0.1:${new URL(upstream.url).port}/${backendSeed.listedProjectId}`;
  await api(main, seeded.token, 'PUT', `/api/0/projects/${ORG}/listed/`, { upstreamDsn: dsn });
  await sleep(1500);
  const options = {
    url: `${main.url}/api/${seeded.listedProjectId}/envelope/?sentry_key=${seeded.publicKey}`,
    method: 'POST' as const,
    body: sdkEnvelope(seeded.publicKey),
    connections: 50,
  };
  const duration = Number(process.env.BENCH_DURATION ?? 8);
  // BENCH_RATE: an even offered load (events/s) instead of as fast as the server answers.
  const rate = Number(process.env.BENCH_RATE ?? 0);
  const run = rate
    ? await paced({ ...options, rate, duration })
    : await autocannon({ ...options, duration }).then((r) => ({ requestsPerSecond: Math.round(r.requests.average), p99: r.latency.p99, non2xx: r.non2xx }));
  const started = performance.now();
  for (;;) {
    const state = await api<{ queued: number }>(main, seeded.token, 'GET', `/api/0/projects/${ORG}/listed/upstream/`);
    if (state.queued === 0) break;
    await sleep(100);
  }
  process.stdout.write(`${run.requestsPerSecond} req/s, p99 ${run.p99} ms, ${run.non2xx} non-2xx; drained ${((performance.now() - started) / 1000).toFixed(1)} s after\n`);
  await main.stop();
  await upstream.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
