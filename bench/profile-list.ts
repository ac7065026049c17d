/**
 * A CPU profile of clientkeys under the keys-list load alone (10,000 keys, first page, 50
 * connections): `npx tsx bench/profile-list.ts` writes it to bench/results/ for
 * `node --cpu-prof` tooling (Chrome DevTools, speedscope). What BENCHMARKS.md's analysis reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startClientkeys } from './lib.ts';
import { seedDatabase } from './seed.ts';

process.env.BENCH_PROFILE = '1';
const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-profile-'));
try {
  const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
  const { token } = await seedDatabase(databaseUrl, 10_000);
  const server = await startClientkeys(databaseUrl);
  const url = `${server.url}/api/0/projects/bench/listed/keys/?per_page=100`;
  const result = await autocannon({ url, headers: { authorization: `Bearer ${token}` }, connections: 50, duration: Number(process.env.BENCH_DURATION ?? 10) });
  process.stdout.write(`${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx\n`);
  await server.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
