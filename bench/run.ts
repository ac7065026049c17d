/**
 * `npm run bench [-- --quick] [-- --only ingest,keys,create,gateway,policy,health]`: every benchmark in turn on fresh
 * databases, one summary table against the targets, the cost curve from 1k to 100k keys, and
 * everything in bench/results/latest.json (`quick.json` for a quick run, `only-<parts>.json` for a
 * partial one). Not a test: nothing here fails the build; a missed target is printed and explained
 * in BENCHMARKS.md.
 */
import { measureCreate, type CreateFigures } from './create.ts';
import { GATEWAY_TARGET_RATIO, measureGateway, type GatewayFigures } from './gateway.ts';
import { HEALTH_ROUNDS, HEALTH_TARGET_MICROS, measureHealth, type HealthFigures } from './health.ts';
import { measurePolicy, POLICY_ROUNDS, POLICY_TARGET_MICROS, type PolicyFigures } from './policy.ts';
import { CONNECTIONS, measureIngest, TARGET_P99_MS, TARGET_RATIO, type IngestFigures } from './ingest.ts';
import { DEPTH, LIST_CONNECTIONS, measureKeys, TARGET_COLD_START_MS, TARGET_DEEP_RATIO, TARGET_RAW_RATIO, TARGET_RSS_MB, type KeysFigures } from './keys.ts';
import { DURATION, machine, printTable, QUICK, ratio, ROUNDS, writeResults } from './lib.ts';

const SIZES = [1_000, 10_000, 100_000];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : undefined;
const wanted = (name: string) => !only || only.has(name);

type Row = Record<'figure' | 'clientkeys' | 'baseline' | 'ratio' | 'target' | 'met', string>;

function check(met: boolean): string {
  return met ? 'yes' : 'NO';
}

function ingestRows(f: IngestFigures): Row[] {
  return [
    {
      figure: `ingest: envelope, ${CONNECTIONS} connections`,
      clientkeys: `${f.clientkeys.requestsPerSecond} req/s`,
      baseline: `bare node:http ${f.bare.requestsPerSecond} req/s`,
      ratio: `${f.ratio}×`,
      target: `≥ ${TARGET_RATIO}×`,
      met: check(f.ratio >= TARGET_RATIO),
    },
    { figure: 'ingest: p99 latency', clientkeys: `${f.clientkeys.p99} ms`, baseline: `bare node:http ${f.bare.p99} ms`, ratio: '', target: `≤ ${TARGET_P99_MS} ms`, met: check(f.clientkeys.p99 <= TARGET_P99_MS) },
    {
      figure: 'ingest: server CPU per request',
      clientkeys: `${f.clientkeys.cpuMicrosPerRequest} µs`,
      baseline: `bare node:http ${f.bare.cpuMicrosPerRequest} µs`,
      ratio: `${f.cpuRatio}×`,
      target: '',
      met: '',
    },
    // References, not clientkeys: where the ratio goes (the framework, the gate).
    ...([
      ['Fastify alone', f.fastify],
      ["clientkeys' gate behind bare node:http", f.gate],
    ] as const).map(([name, result]) => ({
      figure: `ingest reference: ${name}`,
      clientkeys: `${result.requestsPerSecond} req/s, ${result.cpuMicrosPerRequest} µs`,
      baseline: `bare node:http ${f.bare.requestsPerSecond} req/s`,
      ratio: `${ratio(result.requestsPerSecond, f.bare.requestsPerSecond)}×`,
      target: '',
      met: '',
    })),
  ];
}

function keysRows(f: KeysFigures): Row[] {
  const size = `${f.keys.toLocaleString('en')} keys`;
  return [
    {
      figure: `keys list, first page of 100 (${size}, ${LIST_CONNECTIONS} conn.)`,
      clientkeys: `${f.first.requestsPerSecond} req/s`,
      baseline: `raw driver route ${f.raw.requestsPerSecond} req/s`,
      ratio: `${f.rawRatio}×`,
      target: `≥ ${TARGET_RAW_RATIO}×`,
      met: check(f.rawRatio >= TARGET_RAW_RATIO),
    },
    {
      figure: `keys list, page ${f.deepPage} (${size})`,
      clientkeys: `${f.deep.requestsPerSecond} req/s`,
      baseline: `first page ${f.first.requestsPerSecond} req/s`,
      ratio: `${f.deepRatio}×`,
      target: `≥ ${TARGET_DEEP_RATIO}×`,
      met: check(f.deepRatio >= TARGET_DEEP_RATIO),
    },
    {
      figure: `keys list, first page vs its bytes served bare (${Math.round(f.pageBytes / 1024)} KiB; raw rows ${Math.round(f.rawPageBytes / 1024)} KiB)`,
      clientkeys: `${f.first.requestsPerSecond} req/s`,
      baseline: `bare node:http ${f.ceiling.requestsPerSecond} req/s`,
      ratio: `${f.ceilingRatio}×`,
      target: '',
      met: '',
    },
    { figure: `keys list p99, first / page ${f.deepPage}`, clientkeys: `${f.first.p99} / ${f.deep.p99} ms`, baseline: `raw driver route ${f.raw.p99} ms`, ratio: '', target: '', met: '' },
    { figure: `cold start to first answer (${size})`, clientkeys: `${f.coldStartMs} ms`, baseline: '', ratio: '', target: `≤ ${TARGET_COLD_START_MS} ms`, met: check(f.coldStartMs <= TARGET_COLD_START_MS) },
    { figure: `RSS at rest, every key loaded (${size})`, clientkeys: `${f.restRssMb} MB`, baseline: '', ratio: '', target: `≤ ${TARGET_RSS_MB} MB`, met: check(f.restRssMb <= TARGET_RSS_MB) },
    { figure: `RSS after the list runs (${size})`, clientkeys: `${f.rssMb} MB`, baseline: '', ratio: '', target: `≤ ${TARGET_RSS_MB} MB`, met: check(f.rssMb <= TARGET_RSS_MB) },
  ];
}

function createRows(f: CreateFigures): Row[] {
  const postgres = 'unavailable' in f.postgres ? undefined : f.postgres;
  return [
    { figure: 'create keys, SQLite (10 connections)', clientkeys: `${f.sqlite.requestsPerSecond} keys/s`, baseline: '', ratio: '', target: '', met: '' },
    {
      figure: 'create keys, PostgreSQL (10 connections)',
      clientkeys: postgres ? `${postgres.requestsPerSecond} keys/s` : 'not measured: no PostgreSQL',
      baseline: `SQLite ${f.sqlite.requestsPerSecond} keys/s`,
      ratio: f.postgresRatio === null ? '' : `${f.postgresRatio}×`,
      target: '',
      met: '',
    },
    {
      figure: 'keys list, page of 100 (1,000 keys), PostgreSQL',
      clientkeys: f.list.postgres ? `${f.list.postgres.requestsPerSecond} req/s` : 'not measured: no PostgreSQL',
      baseline: `SQLite ${f.list.sqlite.requestsPerSecond} req/s`,
      ratio: f.list.postgresRatio === null ? '' : `${f.list.postgresRatio}×`,
      target: '',
      met: '',
    },
  ];
}

const one = (n: number) => Math.round(n * 10) / 10;
const plus = (micros: number) => `${micros >= 0 ? '+' : ''}${one(micros)}`;

function gatewayRows(f: GatewayFigures): Row[] {
  const { gateway: g, plain: p, floor: fl } = f;
  const accepted = f.rounds.reduce((sum, r) => sum + r.gateway.accepted, 0);
  const delivered = f.rounds.reduce((sum, r) => sum + r.gateway.delivered, 0);
  const received = f.rounds.reduce((sum, r) => sum + r.gateway.upstreamAccepted, 0);
  const failed = f.rounds.reduce((sum, r) => sum + r.gateway.failedDeliveries, 0);
  return [
    {
      figure: `gateway: envelope delivered to a local backend (a second clientkeys), ${CONNECTIONS} conn.`,
      clientkeys: `${g.requestsPerSecond} req/s`,
      baseline: `no upstream ${p.requestsPerSecond} req/s`,
      ratio: `${f.ratio}×`,
      target: `≥ ${GATEWAY_TARGET_RATIO}×`,
      met: check(f.ratio >= GATEWAY_TARGET_RATIO),
    },
    {
      figure: 'gateway: server CPU per event (load run + drain; load run alone)',
      clientkeys: `${g.cpuMicrosPerEvent} µs (${plus(f.cpuAddedMicros)}); ${g.cpuMicrosPerEventDuringLoad} µs`,
      baseline: `no upstream ${p.cpuMicrosPerEvent} µs; ${p.cpuMicrosPerEventDuringLoad} µs`,
      ratio: '',
      target: '',
      met: '',
    },
    { figure: 'gateway: p99 latency', clientkeys: `${g.p99} ms (${plus(f.p99AddedMs)} ms)`, baseline: `no upstream ${p.p99} ms`, ratio: '', target: '', met: '' },
    {
      figure: `gateway at a fixed ${f.atRate.rate} events/s: server CPU per event (load run + drain); p99`,
      clientkeys: `${f.atRate.gateway.cpuMicrosPerEvent} µs (${plus(f.atRate.gateway.cpuMicrosPerEvent - f.atRate.plain.cpuMicrosPerEvent)}); ${f.atRate.gateway.p99} ms`,
      baseline: `no upstream ${f.atRate.plain.cpuMicrosPerEvent} µs; ${f.atRate.plain.p99} ms`,
      ratio: '',
      target: '',
      met: '',
    },
    {
      figure: 'gateway: delivered / accepted, all gateway rounds',
      clientkeys: `${delivered} / ${accepted} (${f.deliveredShare}), ${failed} failed`,
      baseline: `backend received ${received}`,
      ratio: '',
      target: '',
      met: '',
    },
    {
      figure: 'gateway: queue group commit (clientkeys_spool_commit_events sum/count)',
      clientkeys: `${f.requestsPerCommit} requests per commit, ${g.commitMeanMs} ms each`,
      baseline: `${g.commits} commits a round`,
      ratio: '',
      target: '',
      met: '',
    },
    {
      figure: 'gateway floor: bare node:http sending each event on to the same backend (undici, 16 conn.)',
      clientkeys: `${fl.forwarded.requestsPerSecond} req/s, ${fl.forwarded.cpuMicrosPerEvent} µs; backend ${fl.forwarded.upstreamCpuMicrosPerEvent} µs`,
      baseline: `bare node:http ${fl.bare.requestsPerSecond} req/s, ${fl.bare.cpuMicrosPerEvent} µs`,
      ratio: `${fl.ratio}×`,
      target: '',
      met: '',
    },
    {
      figure: 'gateway ceiling: no upstream plus what the floor adds per event (the most the first row can read here)',
      clientkeys: `gateway reaches ${one((100 * f.ratio) / fl.ceilingRatio)} % of it`,
      baseline: `no upstream ${p.requestsPerSecond} req/s`,
      ratio: `${fl.ceilingRatio}×`,
      target: '',
      met: '',
    },
    {
      figure: 'gateway: queue drained after a run; backend CPU per event',
      clientkeys: `${g.drainSeconds} s after ${DURATION} s; ${g.upstreamCpuMicrosPerEvent} µs`,
      baseline: '',
      ratio: '',
      target: '',
      met: '',
    },
  ];
}

function policyRows(f: PolicyFigures): Row[] {
  return [
    {
      figure: 'key policy: server CPU per event (3 quotas, 10 CIDRs, 10 origins)',
      clientkeys: `${one(f.policy.cpuMicrosPerRequest)} µs (${plus(f.cpuAddedMicrosPaired)})`,
      baseline: `plain key ${one(f.plain.cpuMicrosPerRequest)} µs`,
      ratio: '',
      target: `≤ +${POLICY_TARGET_MICROS} µs`,
      met: check(f.cpuAddedMicrosPaired <= POLICY_TARGET_MICROS),
    },
    {
      figure: 'key policy: throughput, p99',
      clientkeys: `${f.policy.requestsPerSecond} req/s, ${f.policy.p99} ms`,
      baseline: `plain key ${f.plain.requestsPerSecond} req/s, ${f.plain.p99} ms`,
      ratio: `${f.ratio}×`,
      target: '',
      met: '',
    },
    {
      figure: 'key policy parts alone: quotas / CIDRs / origins (CPU per event)',
      clientkeys: `${plus(f.parts.quotas.cpuAddedMicros)} / ${plus(f.parts.ips.cpuAddedMicros)} / ${plus(f.parts.origins.cpuAddedMicros)} µs`,
      baseline: 'plain key',
      ratio: '',
      target: '',
      met: '',
    },
    { figure: 'key policy: control, a second plain key', clientkeys: `${plus(f.controlMicros)} µs`, baseline: 'plain key', ratio: '', target: '', met: '' },
    {
      figure: 'key policy, the gate in process: whole policy; quotas / CIDRs / origins alone (µs per admit)',
      clientkeys: `${f.micro.micros.policy} (${plus(f.micro.added.policy)}); ${plus(f.micro.added.quotas)} / ${plus(f.micro.added.ips)} / ${plus(f.micro.added.origins)}`,
      baseline: `plain key ${f.micro.micros.plain}`,
      ratio: '',
      target: `≤ +${POLICY_TARGET_MICROS} µs`,
      met: check(f.micro.added.policy <= POLICY_TARGET_MICROS),
    },
  ];
}

function healthRows(f: HealthFigures): Row[] {
  return [
    {
      figure: 'key health: server CPU per event, counted vs not (preloaded no-op)',
      clientkeys: `${one(f.health.cpuMicrosPerRequest)} µs (${plus(f.cpuAddedMicrosPaired)})`,
      baseline: `not counted ${one(f.noHealth.cpuMicrosPerRequest)} µs`,
      ratio: '',
      target: `≤ +${HEALTH_TARGET_MICROS} µs`,
      met: check(f.cpuAddedMicrosPaired <= HEALTH_TARGET_MICROS),
    },
    { figure: 'key health: control, a second server counting', clientkeys: `${plus(f.controlMicros)} µs`, baseline: 'the first', ratio: '', target: '', met: '' },
    {
      figure: 'key health, the gate in process: accepted / refused (µs per admit)',
      clientkeys: `${f.micro.accepted} / ${f.micro.refused} (${plus(f.micro.acceptedAdded)} / ${plus(f.micro.refusedAdded)})`,
      baseline: `not counted ${f.micro.acceptedOff} / ${f.micro.refusedOff}`,
      ratio: '',
      target: `≤ +${HEALTH_TARGET_MICROS} µs`,
      met: check(f.micro.acceptedAdded <= HEALTH_TARGET_MICROS && f.micro.refusedAdded <= HEALTH_TARGET_MICROS),
    },
  ];
}

function curveRows(curve: KeysFigures[]): Record<string, string | number>[] {
  return curve.map((f) => ({
    keys: f.keys.toLocaleString('en'),
    'cold start ms': f.coldStartMs,
    'RSS at rest MB': f.restRssMb,
    'RSS after lists MB': f.rssMb,
    'first page req/s': f.first.requestsPerSecond,
    'deep page req/s': `${f.deep.requestsPerSecond} (page ${f.deepPage})`,
    'raw route req/s': f.raw.requestsPerSecond,
    'same bytes bare req/s': f.ceiling.requestsPerSecond,
    'CPU µs/req (clientkeys / raw)': `${f.first.cpuMicrosPerRequest} / ${f.raw.cpuMicrosPerRequest}`,
    'first / raw': `${f.rawRatio}×`,
    'deep / first': `${f.deepRatio}×`,
    'first p99 ms': f.first.p99,
  }));
}

const started = performance.now();
const ingest = wanted('ingest') ? await measureIngest() : undefined;
const curve: KeysFigures[] = [];
if (wanted('keys')) for (const size of SIZES) curve.push(await measureKeys(size));
const create = wanted('create') ? await measureCreate() : undefined;
const gateway = wanted('gateway') ? await measureGateway() : undefined;
const policy = wanted('policy') ? await measurePolicy() : undefined;
const health = wanted('health') ? await measureHealth() : undefined;

const largest = curve.at(-1);
const rows = [...(ingest ? ingestRows(ingest) : []), ...(largest ? keysRows(largest) : []), ...(create ? createRows(create) : []),
  ...(gateway ? gatewayRows(gateway) : []),
  ...(policy ? policyRows(policy) : []),
  ...(health ? healthRows(health) : []),
];
const seconds = Math.round((performance.now() - started) / 1000);
const info = machine();
printTable(
  `clientkeys benchmarks (${QUICK ? 'quick: ' : ''}median of ${ROUNDS} alternating run(s) of ${DURATION} s; ${info.cpus} × ${info.cpu}, Node ${info.node}, load average ${info.loadAverage.join(' ')})`,
  rows,
);
if (curve.length > 0) printTable('cost curve: the keys list and the server as the project grows (SQLite)', curveRows(curve));
// A quick or partial run does not overwrite the last full one.
const file = writeResults(only ? `only-${[...only].sort().join('-')}.json` : QUICK ? 'quick.json' : 'latest.json', {
  machine: info,
  quick: QUICK,
  durationSeconds: DURATION,
  rounds: ROUNDS,
  depth: DEPTH,
  elapsedSeconds: seconds,
  table: rows,
  ingest,
  curve,
  create,
  gateway,
  policy: policy && { roundCount: POLICY_ROUNDS, ...policy },
  health: health && { roundCount: HEALTH_ROUNDS, ...health },
});
process.stdout.write(`\n${seconds} s; written ${file}\n`);
