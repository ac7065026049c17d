/**
 * The gateway (issue 16): the ingest bench against a project that delivers to a backend, and
 * against one that does not, on the same clientkeys process, in alternating rounds.
 *
 * The backend is a real second process speaking Sentry's ingest protocol: another `clientkeys
 * serve` on its own database, whose Default key's DSN is set as the first server's project
 * `listed`'s upstream through the API (`PUT /api/0/projects/bench/listed/`), with
 * `UPSTREAM_HOSTS=127.0.0.1` (loopback is refused otherwise). The project `created` has no upstream:
 * its events are counted and answered only. Both take the same @sentry/node envelope, 50
 * connections.
 *
 * A round is the load run and then the wait until the queue is empty (the upstream's
 * `GET …/upstream/` shows nothing queued), so no delivery of one round runs in the next; server CPU
 * per event is taken over both (what an event costs, delivery included), and also over the load
 * run alone. Deliveries are checked, not assumed: the delivered counter of clientkeys' /metrics and
 * the accepted counter of the backend's /metrics must both reach the events accepted. The queue's
 * group commit is read from `clientkeys_spool_commit_events` (a histogram of requests per commit):
 * mean requests per commit = _sum / _count over the round. /metrics is scraped every second in
 * every round of either kind, because clientkeys keeps at most 10,000 commits between scrapes.
 * Target: ≥ 0.8× the throughput without an upstream.
 *
 * Both kinds run again at a fixed GATEWAY_FIXED_RATE events/s, evenly paced (lib.ts's `paced`),
 * which either serves with room to spare: what an event costs a server that keeps up, and its p99, as a
 * service runs most of the time. A saturated server's figures are those of one whose delivery
 * lags behind the gate.
 *
 * The floor, in the same rounds: bare-server.ts against bare-forwarder.ts, which answers as bare
 * does and then sends each body on to the same backend (its own key in the URL) with undici as
 * clientkeys' delivery does, and nothing else: what one upstream request per event costs on this
 * machine, with the backend on the same two cores. Its ratio, and the ratio clientkeys would reach
 * if its delivery cost no more than that (`ceilingRatio`: clientkeys without an upstream, plus the
 * time per event the forwarder takes over bare), bound what any gateway reaches here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { api, firstKey, ORG, scrape, sleep, total } from './api.ts';
import { CONNECTIONS, sdkEnvelope } from './ingest.ts';
import { DURATION, median, paced, ratio as ratioOf, ROUNDS, startClientkeys, startReference, warmUp, type PacedResult, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const GATEWAY_TARGET_RATIO = 0.8;
/**
 * The offered load of the rounds at a fixed rate (events/s over all connections): below what
 * either variant serves here, as a service runs most of the time, so CPU per event and p99 are
 * those of a server keeping up rather than of one saturated. BENCH_GATEWAY_RATE sets another.
 */
export const GATEWAY_FIXED_RATE = Number(process.env.BENCH_GATEWAY_RATE ?? 3000);
const DRAIN_TIMEOUT_MS = 180_000;

const VARIANTS = ['plain', 'gateway'] as const;
type Variant = (typeof VARIANTS)[number];

export interface GatewayRound {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Server CPU per event over the load run and the drain after it (delivery included). */
  cpuMicrosPerEvent: number;
  /** Server CPU per event over the load run alone. */
  cpuMicrosPerEventDuringLoad: number;
  /** The backend's CPU per event (the second clientkeys, on the same two cores). */
  upstreamCpuMicrosPerEvent: number;
  /** Seconds from the end of the load run until the queue was empty. */
  drainSeconds: number;
  /** Accepted by the gate (clientkeys_ingest_requests_total{outcome="accepted"}). */
  accepted: number;
  /** clientkeys_upstream_deliveries_total{outcome="delivered"}. */
  delivered: number;
  /** Retried, refused or rate limited deliveries: any is a failure of the bench. */
  failedDeliveries: number;
  /** What the backend accepted (its own clientkeys_ingest_requests_total{outcome="accepted"}). */
  upstreamAccepted: number;
  /** Commits of the queue and the requests they carried (clientkeys_spool_commit_events). */
  commits: number;
  committedRequests: number;
  /** clientkeys_spool_commit_seconds: mean time a commit took, ms. */
  commitMeanMs: number;
}

/** A round of the floor: bare node:http, or the same forwarding every event to the backend. */
export interface FloorRound {
  requestsPerSecond: number;
  p99: number;
  requests: number;
  /** The server's CPU per event, sends to the backend included. */
  cpuMicrosPerEvent: number;
  upstreamCpuMicrosPerEvent: number;
  /** The bench process's (autocannon's) CPU per event. */
  loadCpuMicrosPerEvent: number;
  /** Events the backend accepted in the round (the forwarder's; ≥ requests, which omits the last in flight). */
  upstreamAccepted: number;
}

export interface GatewayFloor {
  bare: FloorRound;
  forwarded: FloorRound;
  /** forwarded / bare throughput. */
  ratio: number;
  /**
   * clientkeys with an upstream, had its delivery cost what bare forwarding does: the throughput of
   * 1 / (1/plain + 1/forwarded − 1/bare), against plain's (time per event on the shared cores adds).
   */
  ceilingRatio: number;
}

export interface GatewayFigures {
  plain: GatewayRound;
  gateway: GatewayRound;
  rounds: Record<Variant, GatewayRound>[];
  /** The same rounds at GATEWAY_FIXED_RATE events/s (medians). */
  atRate: { rate: number; plain: GatewayRound; gateway: GatewayRound };
  /** gateway / plain throughput. */
  ratio: number;
  /** Server CPU µs per event the gateway adds (drain included). */
  cpuAddedMicros: number;
  /** p99 the gateway adds, ms. */
  p99AddedMs: number;
  /** Delivered / accepted over every gateway round (1: each accepted event reached the backend). */
  deliveredShare: number;
  /** Requests per commit of the queue: sum / count of clientkeys_spool_commit_events over the gateway rounds. */
  requestsPerCommit: number;
  floor: GatewayFloor;
}

function envelopePath(projectId: number | string, publicKey: string): string {
  return `/api/${projectId}/envelope/?sentry_version=7&sentry_key=${publicKey}&sentry_client=sentry.javascript.node%2F11.12.0`;
}

async function upstreamState(main: Server, token: string): Promise<{ queued: number; delivered: number; lastError: unknown }> {
  return api(main, token, 'GET', `/api/0/projects/${ORG}/listed/upstream/`);
}

async function drain(main: Server, token: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const state = await upstreamState(main, token);
    if (state.queued === 0) return;
    if (Date.now() > deadline) throw new Error(`the delivery queue still holds ${state.queued} after ${DRAIN_TIMEOUT_MS / 1000} s (last error ${JSON.stringify(state.lastError)})`);
    await sleep(100);
  }
}

/** Counters of both processes that a round reads the difference of. */
async function counters(main: Server, upstream: Server) {
  // Scraped twice: clientkeys fills clientkeys_spool_commit_events while it collects
  // clientkeys_spool_commit_seconds, after the first is written, so a scrape shows the commit
  // counts as of the scrape before it. The servers are idle here (the queue drained): the second
  // scrape shows every commit.
  await scrape(main);
  const [m, u] = await Promise.all([scrape(main), scrape(upstream)]);
  return {
    accepted: total(m, 'clientkeys_ingest_requests_total', 'outcome="accepted"'),
    delivered: total(m, 'clientkeys_upstream_deliveries_total', 'outcome="delivered"'),
    failed: ['retried', 'refused', 'rate_limited'].reduce((sum, outcome) => sum + total(m, 'clientkeys_upstream_deliveries_total', `outcome="${outcome}"`), 0),
    commits: total(m, 'clientkeys_spool_commit_events_count'),
    committed: total(m, 'clientkeys_spool_commit_events_sum'),
    commitSeconds: total(m, 'clientkeys_spool_commit_seconds_sum'),
    upstreamAccepted: total(u, 'clientkeys_ingest_requests_total', 'outcome="accepted"'),
  };
}

/** One round: the load run (at `rate` events/s if given, else as fast as the server answers), then the drain. */
async function round(main: Server, upstream: Server, token: string, url: string, body: string, rate?: number): Promise<GatewayRound> {
  const before = await counters(main, upstream);
  const cpu = main.cpuSeconds();
  const upstreamCpu = upstream.cpuSeconds();
  // Scraped every second in rounds of both kinds alike: clientkeys keeps at most 10,000 commits between scrapes.
  const scraper = setInterval(() => void scrape(main).catch(() => {}), 1000);
  let result: PacedResult;
  try {
    if (rate) result = await paced({ url, body, rate, connections: CONNECTIONS, duration: DURATION });
    else {
      const run = await autocannon({ url, connections: CONNECTIONS, method: 'POST', body, duration: DURATION });
      result = { requests: run.requests.total, requestsPerSecond: Math.round(run.requests.average), p50: run.latency.p50, p99: run.latency.p99, non2xx: run.non2xx, errors: run.errors };
    }
  } finally {
    clearInterval(scraper);
  }
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors from ${url}`);
  const cpuDuringLoad = main.cpuSeconds() - cpu;
  const loadEnded = performance.now();
  await drain(main, token);
  const drainSeconds = (performance.now() - loadEnded) / 1000;
  const cpuTotal = main.cpuSeconds() - cpu;
  const upstreamCpuTotal = upstream.cpuSeconds() - upstreamCpu;
  const after = await counters(main, upstream);
  const requests = result.requests;
  const perEvent = (seconds: number) => (requests > 0 ? Math.round((seconds / requests) * 1e6 * 10) / 10 : 0);
  const commits = after.commits - before.commits;
  return {
    requestsPerSecond: result.requestsPerSecond,
    p50: result.p50,
    p99: result.p99,
    requests,
    cpuMicrosPerEvent: perEvent(cpuTotal),
    cpuMicrosPerEventDuringLoad: perEvent(cpuDuringLoad),
    upstreamCpuMicrosPerEvent: perEvent(upstreamCpuTotal),
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    accepted: after.accepted - before.accepted,
    delivered: after.delivered - before.delivered,
    failedDeliveries: after.failed - before.failed,
    upstreamAccepted: after.upstreamAccepted - before.upstreamAccepted,
    commits,
    committedRequests: after.committed - before.committed,
    commitMeanMs: commits > 0 ? Math.round(((after.commitSeconds - before.commitSeconds) / commits) * 1e6) / 1e3 : 0,
  };
}

async function forwarderDrained(server: Server): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const state = (await (await fetch(`${server.url}/pending`)).json()) as { pending: number; failed: number };
    if (state.failed > 0) throw new Error(`the bare forwarder's backend refused or failed ${state.failed} sends`);
    if (state.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`the bare forwarder still has ${state.pending} sends after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

async function floorRound(server: Server, upstream: Server, forwards: boolean, body: string): Promise<FloorRound> {
  const accepted = async () => total(await scrape(upstream), 'clientkeys_ingest_requests_total', 'outcome="accepted"');
  const before = await accepted();
  const cpu = server.cpuSeconds();
  const upstreamCpu = upstream.cpuSeconds();
  const loadCpu = process.cpuUsage();
  const result = await autocannon({ url: `${server.url}/api/1/envelope/`, connections: CONNECTIONS, method: 'POST', body, duration: DURATION });
  const load = process.cpuUsage(loadCpu);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors from the floor's server`);
  if (forwards) await forwarderDrained(server);
  const requests = result.requests.total;
  const perEvent = (seconds: number) => (requests > 0 ? Math.round((seconds / requests) * 1e6 * 10) / 10 : 0);
  const upstreamAccepted = (await accepted()) - before;
  if (forwards && upstreamAccepted < requests) throw new Error(`the backend accepted ${upstreamAccepted} of ${requests} forwarded events`);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p99: result.latency.p99,
    requests,
    cpuMicrosPerEvent: perEvent(server.cpuSeconds() - cpu),
    upstreamCpuMicrosPerEvent: perEvent(upstream.cpuSeconds() - upstreamCpu),
    loadCpuMicrosPerEvent: perEvent((load.user + load.system) / 1e6),
    upstreamAccepted,
  };
}

function medianOf<T extends object>(rounds: T[]): T {
  const keys = Object.keys(rounds[0]!) as (keyof T)[];
  return Object.fromEntries(keys.map((key) => [key, median(rounds.map((r) => r[key] as number))])) as T;
}

export async function measureGateway(): Promise<GatewayFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-gateway-'));
  const servers: Server[] = [];
  try {
    const backendDb = `sqlite:${join(dir, 'backend.sqlite')}`;
    const mainDb = `sqlite:${join(dir, 'gateway.sqlite')}`;
    const backendSeed = await seedDatabase(backendDb, 1);
    const seeded = await seedDatabase(mainDb, 1);
    const upstream = await startClientkeys(backendDb);
    servers.push(upstream);
    const main = await startClientkeys(mainDb, { UPSTREAM_HOSTS: '127.0.0.1' });
    servers.push(main);
    const bare = await startReference('bare-server.ts');
    servers.push(bare);
    const upstreamPath = envelopePath(backendSeed.listedProjectId, backendSeed.publicKey);
    const forwarder = await startReference('bare-forwarder.ts', { BENCH_UPSTREAM_URL: `${upstream.url}${upstreamPath}` });
    servers.push(forwarder);

    // The backend's DSN, as its own keys list shows it but on the address it listens on.
    const port = new URL(upstream.url).port;
    const dsn = `http://${backendSeed.publicKey}@127.0.0.1:${port}/${backendSeed.listedProjectId}`;
    await api(main, seeded.token, 'PUT', `/api/0/projects/${ORG}/listed/`, { upstreamDsn: dsn });
    const plainKey = await firstKey(main, seeded.token, 'created');
    const urls: Record<Variant, string> = {
      gateway: `${main.url}${envelopePath(seeded.listedProjectId, seeded.publicKey)}`,
      plain: `${main.url}${envelopePath(plainKey.projectId, plainKey.public)}`,
    };
    const bodies: Record<Variant, string> = { gateway: sdkEnvelope(seeded.publicKey), plain: sdkEnvelope(plainKey.public) };

    // Events through until one is delivered (the change reaches the gate's key map within a
    // second): the upstream is set and reachable before any load.
    const deadline = Date.now() + 15_000;
    for (;;) {
      for (const variant of VARIANTS) {
        const response = await fetch(urls[variant], { method: 'POST', body: bodies[variant] });
        if (response.status !== 200) throw new Error(`${variant}: ${response.status} ${await response.text()}`);
      }
      await drain(main, seeded.token);
      await sleep(200);
      const delivered = total(await scrape(main), 'clientkeys_upstream_deliveries_total', 'outcome="delivered"');
      if (delivered >= 1) break;
      if (Date.now() > deadline) throw new Error(`nothing delivered to the backend: ${JSON.stringify(await upstreamState(main, seeded.token))}`);
    }

    for (const variant of VARIANTS) {
      await warmUp({ url: urls[variant], connections: CONNECTIONS, method: 'POST', body: bodies[variant] });
      await drain(main, seeded.token);
    }
    // The floor's body carries the backend's own key: the forwarder sends it on as it came.
    const floorBody = sdkEnvelope(backendSeed.publicKey);
    for (const server of [bare, forwarder]) await warmUp({ url: `${server.url}/api/1/envelope/`, connections: CONNECTIONS, method: 'POST', body: floorBody });
    await forwarderDrained(forwarder);
    const rounds: Record<Variant, GatewayRound>[] = [];
    const rateRounds: Record<Variant, GatewayRound>[] = [];
    const floorRounds: { bare: FloorRound; forwarded: FloorRound }[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const results = {} as Record<Variant, GatewayRound>;
      const atRate = {} as Record<Variant, GatewayRound>;
      const floor = {} as { bare: FloorRound; forwarded: FloorRound };
      // The order alternates too, so neither always runs on a machine the other just warmed.
      const steps: (() => Promise<unknown>)[] = [
        ...VARIANTS.map((variant) => async () => (results[variant] = await round(main, upstream, seeded.token, urls[variant], bodies[variant]))),
        ...VARIANTS.map((variant) => async () => (atRate[variant] = await round(main, upstream, seeded.token, urls[variant], bodies[variant], GATEWAY_FIXED_RATE))),
        async () => (floor.bare = await floorRound(bare, upstream, false, floorBody)),
        async () => (floor.forwarded = await floorRound(forwarder, upstream, true, floorBody)),
      ];
      for (const step of i % 2 ? steps.reverse() : steps) await step();
      rounds.push(results);
      rateRounds.push(atRate);
      floorRounds.push(floor);
    }
    const plain = medianOf(rounds.map((r) => r.plain));
    const gateway = medianOf(rounds.map((r) => r.gateway));
    const floorBare = medianOf(floorRounds.map((r) => r.bare));
    const forwarded = medianOf(floorRounds.map((r) => r.forwarded));
    const ceiling = 1 / (1 / plain.requestsPerSecond + 1 / forwarded.requestsPerSecond - 1 / floorBare.requestsPerSecond);
    const sum = (key: keyof GatewayRound) => rounds.reduce((s, r) => s + r.gateway[key], 0);
    return {
      plain,
      gateway,
      rounds,
      atRate: { rate: GATEWAY_FIXED_RATE, plain: medianOf(rateRounds.map((r) => r.plain)), gateway: medianOf(rateRounds.map((r) => r.gateway)) },
      ratio: ratioOf(gateway.requestsPerSecond, plain.requestsPerSecond),
      cpuAddedMicros: Math.round((gateway.cpuMicrosPerEvent - plain.cpuMicrosPerEvent) * 10) / 10,
      p99AddedMs: gateway.p99 - plain.p99,
      deliveredShare: sum('accepted') > 0 ? Math.round((sum('delivered') / sum('accepted')) * 1000) / 1000 : 0,
      requestsPerCommit: sum('commits') > 0 ? Math.round((sum('committedRequests') / sum('commits')) * 10) / 10 : 0,
      floor: {
        bare: floorBare,
        forwarded,
        ratio: ratioOf(forwarded.requestsPerSecond, floorBare.requestsPerSecond),
        ceilingRatio: ratioOf(ceiling, plain.requestsPerSecond),
      },
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
