/**
 * Key health's cost in the ingest gate, in process (issue 20): `IngestGate.admitWhole` in a loop
 * with the bench's envelope, in blocks that alternate between the real recorder and one whose
 * methods do nothing (set on the instance, removed again after the block), for an accepted event
 * and for one refused because its key is disabled (a refusal counts more: reason and hour).
 * Prints one JSON line: µs per admit, the median block of each, and the differences.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServices, createServices } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { KEY_STATUS } from '../src/domain/keys.ts';
import { openDatabase } from '../src/storage/database.ts';
import { envelopeGateRequest } from './gate-request.ts';
import { sdkEnvelope } from './ingest.ts';
import { seedDatabase } from './seed.ts';

const BLOCK = Number(process.env.BENCH_MICRO_BLOCK ?? 100_000);
const BLOCKS = Number(process.env.BENCH_MICRO_BLOCKS ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'clientkeys-health-'));
const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
const { listedProjectId, publicKey } = await seedDatabase(databaseUrl, 1_000);
const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
const db = openDatabase(config.database);
const services = createServices(config, db);
const disabled = await db.kysely.selectFrom('project_keys').select('public_key').where('label', '=', 'key 0').executeTakeFirstOrThrow();
await db.kysely.updateTable('project_keys').set({ status: KEY_STATUS.inactive }).where('public_key', '=', disabled.public_key).execute();
await services.ingest.parts.keys.warm();
const health = services.ingest.parts.health as unknown as Record<string, unknown>;
const noop = () => {};

const cases = {
  accepted: { key: publicKey, ok: true },
  refused: { key: disabled.public_key, ok: false },
};
type Case = keyof typeof cases;

function block(name: Case): number {
  const { key, ok } = cases[name];
  const body = Buffer.from(sdkEnvelope(key));
  const url = `/api/${listedProjectId}/envelope/?sentry_key=${key}`;
  const start = process.hrtime.bigint();
  for (let i = 0; i < BLOCK; i++) {
    // A fresh copy of the body each time, as each request brings its own.
    const result = services.ingest.gate.admitWhole(envelopeGateRequest(url, Buffer.from(body)));
    if (result instanceof Promise || result.ok !== ok) throw new Error(`${name}: not decided at once as expected`);
  }
  return Number(process.hrtime.bigint() - start) / 1000 / BLOCK;
}

function withoutHealth<T>(run: () => T): T {
  health.accepted = noop;
  health.refused = noop;
  health.discarded = noop;
  try {
    return run();
  } finally {
    delete health.accepted;
    delete health.refused;
    delete health.discarded;
  }
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (n: number) => Math.round(n * 100) / 100;

const timings: Record<string, number[]> = { accepted: [], acceptedOff: [], refused: [], refusedOff: [] };
// The first of each is warm-up: thrown away.
for (let b = 0; b <= BLOCKS; b++) {
  for (const name of Object.keys(cases) as Case[]) {
    // The order alternates, so neither side always runs first.
    const on = () => block(name);
    const pair = b % 2 ? [withoutHealth(on), block(name)].reverse() : [block(name), withoutHealth(on)];
    if (b === 0) continue;
    timings[name]!.push(pair[0]!);
    timings[`${name}Off`]!.push(pair[1]!);
  }
  // The recorder's maps are emptied as the flush would (every STATS_FLUSH_SECONDS in the server).
  await services.ingest.parts.health.flush(db.stores.keyHealth);
}
const result = {
  block: BLOCK,
  blocks: BLOCKS,
  accepted: round(median(timings.accepted!)),
  acceptedOff: round(median(timings.acceptedOff!)),
  refused: round(median(timings.refused!)),
  refusedOff: round(median(timings.refusedOff!)),
  acceptedAdded: round(median(timings.accepted!.map((t, i) => t - timings.acceptedOff![i]!))),
  refusedAdded: round(median(timings.refused!.map((t, i) => t - timings.refusedOff![i]!))),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await closeServices(services);
rmSync(dir, { recursive: true, force: true });
