/**
 * What every benchmark shares: servers started as child processes (so the load generator does not
 * share their event loop), a load run through autocannon, and the report (a table on stdout and a
 * JSON file under bench/results/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Options } from 'autocannon';
import { Pool } from 'undici';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = join(ROOT, 'bench', 'results');

export interface Server {
  url: string;
  pid: number;
  /** Resident memory of the server process now, in bytes (0 where /proc is not there). */
  rssBytes(): number;
  /** CPU seconds the server process has used so far (user + system, from /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Linux's accounting of a process's CPU time; 0 where /proc is not there. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function processRssBytes(pid: number | undefined): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Start a process and wait for `url(line)` to find its URL in a line of its output. */
export function startProcess(command: string, args: string[], env: Record<string, string>, url: (line: string) => string | undefined): Promise<Server> {
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = url(line);
      if (!found) return;
      clearTimeout(timer);
      resolve({
        url: found,
        pid: child.pid ?? 0,
        cpuSeconds: () => processCpuSeconds(child.pid),
        rssBytes: () => processRssBytes(child.pid),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** The node flags of `npm start` (package.json), so the server runs here as it does there. */
const START_NODE_FLAGS = (() => {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
})();

/**
 * `clientkeys serve` as a user runs it (the built package, default logging), on `databaseUrl`.
 * The management rate limit is off: the bench measures the work of a request, not the limiter's
 * refusals. BENCH_PROFILE=1 writes a CPU profile of the process to bench/results/. `nodeArgs` go to
 * node before the CLI (the health bench preloads bench/no-health.mjs with `--import`).
 */
export function startClientkeys(databaseUrl: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Server> {
  const args = [...START_NODE_FLAGS, ...nodeArgs, ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS}`] : [])];
  const serverEnv = { DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info', API_RATE_LIMIT: '0', PUBLIC_URL: 'http://bench.example', ...env };
  return startProcess(process.execPath, [...args, join(ROOT, 'bin', 'clientkeys'), 'serve'], serverEnv, (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      return entry.msg === 'clientkeys is listening' ? entry.url : undefined;
    } catch {
      return undefined;
    }
  });
}

/** A reference server under bench/ (run through tsx), which prints `listening <url>`. */
export function startReference(file: string, env: Record<string, string> = {}): Promise<Server> {
  return startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', file)], env, (line) =>
    line.startsWith('listening ') ? line.slice('listening '.length) : undefined,
  );
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Server CPU time per request, microseconds: what throughput would be on a machine of its own. */
  cpuMicrosPerRequest: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** `npm run bench -- --quick`: shorter runs, one round, for a check in under two minutes. */
export const QUICK = process.argv.includes('--quick');
export const DURATION = Number(process.env.BENCH_DURATION ?? (QUICK ? 2 : 5));
export const WARMUP = Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3));
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));

/** A run whose numbers are thrown away: JIT, pools and caches settle. */
export async function warmUp(options: Options): Promise<void> {
  await autocannon({ ...options, duration: WARMUP });
}

/** One measured run against `server`; any answer but a 2xx fails the bench rather than flattering it. */
export async function load(server: Server, options: Options): Promise<LoadResult> {
  const cpuBefore = server.cpuSeconds();
  const result = await autocannon({ ...options, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors from ${options.url}`);
  const cpu = server.cpuSeconds() - cpuBefore;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    cpuMicrosPerRequest: result.requests.total > 0 ? Math.round((cpu / result.requests.total) * 1e6 * 10) / 10 : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export interface PacedResult {
  requestsPerSecond: number;
  /** Answered; non2xx and errors count those that were not 2xx or failed. */
  requests: number;
  non2xx: number;
  errors: number;
  /** Latency percentiles in ms, each request timed from the moment it was due (not when it could go). */
  p50: number;
  p99: number;
}

/**
 * An even offered load: `rate` requests a second, each due at its own moment (checked every
 * millisecond), over a pool of `connections` kept-alive connections; a request that finds them all
 * busy waits in the pool, and its latency counts from when it was due. autocannon's
 * `overallRate` instead lets each connection send its share of a second as fast as it can from the
 * second's start: bursts that saturate the server for part of each second.
 */
export async function paced(options: { url: string; body: string; rate: number; connections: number; duration: number }): Promise<PacedResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections, keepAliveTimeout: 10_000 });
  const path = `${url.pathname}${url.search}`;
  const body = Buffer.from(options.body);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const send = (due: number) => {
    const sent = pool
      .request({ method: 'POST', path, body })
      .then(async (response) => {
        if (response.statusCode < 200 || response.statusCode > 299) non2xx += 1;
        await response.body.dump();
        latencies.push(performance.now() - due);
      })
      .catch(() => {
        errors += 1;
      })
      .finally(() => pending.delete(sent));
    pending.add(sent);
  };
  const start = performance.now();
  const total = Math.round(options.rate * options.duration);
  let scheduled = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * options.rate));
      for (; scheduled < due; scheduled += 1) send(start + (scheduled / options.rate) * 1000);
      if (scheduled >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  while (pending.size > 0) await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 10) / 10;
  return { requestsPerSecond: Math.round(latencies.length / elapsed), requests: latencies.length, non2xx, errors, p50: percentile(0.5), p99: percentile(0.99) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The median run of several: throughput, latencies and error counts each taken as their median. */
export function medianResult(runs: LoadResult[]): LoadResult {
  const pick = (key: keyof LoadResult) => median(runs.map((r) => r[key]));
  return {
    requestsPerSecond: Math.round(pick('requestsPerSecond')),
    cpuMicrosPerRequest: pick('cpuMicrosPerRequest'),
    p50: pick('p50'),
    p99: pick('p99'),
    max: pick('max'),
    total: pick('total'),
    non2xx: Math.max(...runs.map((r) => r.non2xx)),
    errors: Math.max(...runs.map((r) => r.errors)),
  };
}

export function machine() {
  return {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    // Other work on the machine moves every number: recorded so runs can be compared fairly.
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** a / b to two decimals. */
export function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : 0;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => String(row[c])))}\n`);
}

export function writeResults(name: string, results: unknown): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, name);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
