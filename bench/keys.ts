/**
 * The management API as a project grows: for each size, a fresh SQLite database with that many keys
 * in one project, then
 * - cold start: from spawning `clientkeys serve` to the first answer of the keys list;
 * - the keys list, page of 100, first page and a page 50 deep (reached by following the `Link`
 *   header, as clients do), 50 connections, against a bare Fastify route running the same query
 *   with the raw driver, and against bare node:http answering the first page's bytes as they are
 *   (the payload's ceiling: a page of Sentry-shaped keys is four times the raw rows);
 * - the server's RSS at rest (2 s after its first answer, every key in the ingest gate's memory,
 *   nothing asked since) and after those runs (which adds what 50 concurrent lists leave behind).
 * Targets: RSS ≤ 150 MB and cold start ≤ 1 s with 100,000 keys (issue 21).
 * Targets: deep ≥ 0.8× first (the paginator must not slow down with depth), first ≥ 0.5× raw.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, median, medianResult, ratio, ROUNDS, startClientkeys, startReference, warmUp, type LoadResult, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const LIST_CONNECTIONS = 50;
export const DEPTH = 50;
export const TARGET_RSS_MB = 150;
export const TARGET_COLD_START_MS = 1000;
/** How long after its first answer the server is left alone before its RSS at rest is read. */
const REST_MS = 2000;
export const TARGET_DEEP_RATIO = 0.8;
export const TARGET_RAW_RATIO = 0.5;

export interface KeysFigures {
  keys: number;
  /** The page actually measured as "deep": page 50, or the last full page of a smaller project. */
  deepPage: number;
  seedSeconds: number;
  coldStartMs: number;
  rssMb: number;
  restRssMb: number;
  first: LoadResult;
  deep: LoadResult;
  raw: LoadResult;
  /** bare node:http answering the first page's bytes, precomputed. */
  ceiling: LoadResult;
  pageBytes: number;
  rawPageBytes: number;
  deepRatio: number;
  rawRatio: number;
  ceilingRatio: number;
}

const LIST_PATH = '/api/0/projects/bench/listed/keys/?per_page=100';

/** Spawn the server and ask for the first page until it answers: the median of three starts, the last left running. */
async function coldStart(databaseUrl: string, token: string): Promise<{ ms: number; server: Server }> {
  const times: number[] = [];
  let server: Server | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    await server?.stop();
    const started = performance.now();
    server = await startClientkeys(databaseUrl);
    const response = await fetch(`${server.url}${LIST_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`first answer was ${response.status}`);
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  return { ms: Math.round(median(times)), server: server as Server };
}

/** Follow `rel="next"` from the first page `pages - 1` times; the URL of the page reached. */
async function pageUrl(server: Server, token: string, pages: number): Promise<string> {
  let url = `${server.url}${LIST_PATH}`;
  for (let page = 1; page < pages; page++) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    const next = /<([^>]+)>; rel="next"; results="true"/.exec(response.headers.get('link') ?? '');
    if (!next?.[1]) throw new Error(`no next page after page ${page}`);
    // Links carry PUBLIC_URL; the load goes to the loopback address.
    url = `${server.url}${new URL(next[1]).pathname}${new URL(next[1]).search}`;
  }
  return url;
}

export async function measureKeys(keys: number): Promise<KeysFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-keys-'));
  const path = join(dir, 'bench.sqlite');
  try {
    const seedStart = performance.now();
    const seeded = await seedDatabase(`sqlite:${path}`, keys);
    const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;
    const { ms: coldStartMs, server } = await coldStart(`sqlite:${path}`, seeded.token);
    await new Promise((resolve) => setTimeout(resolve, REST_MS));
    const restRssMb = Math.round(server.rssBytes() / 1024 / 1024);
    const firstPage = await (await fetch(`${server.url}${LIST_PATH}`, { headers: { authorization: `Bearer ${seeded.token}` } })).text();
    writeFileSync(join(dir, 'first-page.json'), firstPage);
    const raw = await startReference('raw-list-server.ts', { BENCH_SQLITE_PATH: path, BENCH_PROJECT_ID: String(seeded.listedProjectId) });
    const ceilingServer = await startReference('bare-server.ts', { BENCH_BODY_FILE: join(dir, 'first-page.json') });
    try {
      const rawPageBytes = (await (await fetch(`${raw.url}/keys/`)).arrayBuffer()).byteLength;
      const deepPage = Math.min(DEPTH, Math.floor(keys / 100));
      const headers = { authorization: `Bearer ${seeded.token}` };
      const firstOptions = { url: `${server.url}${LIST_PATH}`, headers, connections: LIST_CONNECTIONS };
      const deepOptions = { url: await pageUrl(server, seeded.token, deepPage), headers, connections: LIST_CONNECTIONS };
      const rawOptions = { url: `${raw.url}/keys/`, connections: LIST_CONNECTIONS };
      const ceilingOptions = { url: `${ceilingServer.url}/`, connections: LIST_CONNECTIONS };
      for (const options of [firstOptions, deepOptions, rawOptions, ceilingOptions]) await warmUp(options);
      const runs: { first: LoadResult; deep: LoadResult; raw: LoadResult; ceiling: LoadResult }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        runs.push({
          first: await load(server, firstOptions),
          deep: await load(server, deepOptions),
          raw: await load(raw, rawOptions),
          ceiling: await load(ceilingServer, ceilingOptions),
        });
      }
      const first = medianResult(runs.map((r) => r.first));
      const deep = medianResult(runs.map((r) => r.deep));
      const rawResult = medianResult(runs.map((r) => r.raw));
      const ceiling = medianResult(runs.map((r) => r.ceiling));
      return {
        keys,
        deepPage,
        seedSeconds,
        coldStartMs,
        rssMb: Math.round(server.rssBytes() / 1024 / 1024),
        restRssMb,
        first,
        deep,
        raw: rawResult,
        ceiling,
        pageBytes: Buffer.byteLength(firstPage),
        rawPageBytes,
        deepRatio: ratio(deep.requestsPerSecond, first.requestsPerSecond),
        rawRatio: ratio(first.requestsPerSecond, rawResult.requestsPerSecond),
        ceilingRatio: ratio(first.requestsPerSecond, ceiling.requestsPerSecond),
      };
    } finally {
      await server.stop();
      await raw.stop();
      await ceilingServer.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
