/**
 * What a few microseconds of work per request cost on this machine, where the load generator
 * shares the cores with the server: the bare node:http baseline of the ingest benchmark, then the
 * same server spinning 5, 10, 25 and 50 µs per request. `npx tsx bench/calibrate.ts`. Read with
 * the ingest figures: it bounds the throughput ratio any server doing real work can reach here.
 */
import autocannon from 'autocannon';
import { sdkEnvelope } from './ingest.ts';
import { startReference } from './lib.ts';

const duration = Number(process.env.BENCH_DURATION ?? 5);
const rows: string[] = ['| work per request | req/s | ratio to bare | p99 ms | server CPU µs/req |', '| --- | --- | --- | --- | --- |'];
let bare = 0;
for (const workUs of [0, 5, 10, 25, 50]) {
  const server = await startReference('bare-server.ts', { BENCH_WORK_US: String(workUs) });
  const options = { url: `${server.url}/`, method: 'POST' as const, body: sdkEnvelope('0'.repeat(32)), connections: 50 };
  await autocannon({ ...options, duration: 2 });
  const cpuBefore = server.cpuSeconds();
  const result = await autocannon({ ...options, duration });
  const cpuUs = ((server.cpuSeconds() - cpuBefore) * 1e6) / result.requests.total;
  await server.stop();
  if (workUs === 0) bare = result.requests.average;
  rows.push(`| ${workUs} µs | ${Math.round(result.requests.average)} | ${(result.requests.average / bare).toFixed(2)}× | ${result.latency.p99} | ${cpuUs.toFixed(1)} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
