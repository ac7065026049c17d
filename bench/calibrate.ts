/**
 * What a few microseconds of work per request cost on this machine, where the load generator
 * shares the cores with the server: the bare node:http baseline of the ingest benchmark, then the
 * same server spinning 5, 10, 25 and 50 µs per request. `npx tsx bench/calibrate.ts`. Read with
 * the ingest figures: it bounds the throughput ratio any server doing real work can reach here.
 */
import { sdkEnvelope } from './ingest.ts';
import { load, printTable, ratio, startReference, warmUp, type LoadResult } from './lib.ts';

const rows: Record<string, string | number>[] = [];
let bare: LoadResult | undefined;
for (const workUs of [0, 5, 10, 25, 50]) {
  const server = await startReference('bare-server.ts', { BENCH_WORK_US: String(workUs) });
  const options = { url: `${server.url}/`, method: 'POST' as const, body: sdkEnvelope('0'.repeat(32)), connections: 50 };
  await warmUp(options);
  const result = await load(server, options);
  await server.stop();
  bare ??= result;
  rows.push({
    'work per request': `${workUs} µs`,
    'req/s': result.requestsPerSecond,
    'ratio to bare': `${ratio(result.requestsPerSecond, bare.requestsPerSecond)}×`,
    'p99 ms': result.p99,
    'server CPU µs/req': result.cpuMicrosPerRequest,
  });
}
printTable('the bare baseline with a fixed amount of work per request', rows);
