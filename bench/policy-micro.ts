/**
 * Key policy's cost in the ingest gate, in process (issue 19): `IngestGate.admitWhole` in a loop
 * with the bench's envelope and a matching Origin, in alternating blocks, for the plain key, a key
 * with the bench's whole policy (bench/policy.ts: three quotas, ten CIDRs, ten origins) and keys
 * with each part of it alone. Without HTTP or the load generator, the differences are finer than
 * the server's figure. Prints one JSON line: µs per admit (median block) and the median difference
 * to the plain key of each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServices, createServices } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { EMPTY_POLICY, mergePolicy, storedPolicy } from '../src/domain/key-policy.ts';
import { openDatabase } from '../src/storage/database.ts';
import { envelopeGateRequest } from './gate-request.ts';
import { sdkEnvelope } from './ingest.ts';
import { ORIGIN, PARTS, POLICY } from './policy.ts';
import { seedDatabase } from './seed.ts';

const BLOCK = Number(process.env.BENCH_MICRO_BLOCK ?? 100_000);
const BLOCKS = Number(process.env.BENCH_MICRO_BLOCKS ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'clientkeys-policy-'));
const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
const { listedProjectId, publicKey } = await seedDatabase(databaseUrl, 1_000);
const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
const db = openDatabase(config.database);
const services = createServices(config, db);
const policies = { policy: POLICY, ...PARTS };
type Variant = 'plain' | keyof typeof policies;
const keys: Record<Variant, string> = { plain: publicKey } as Record<Variant, string>;
let label = 0;
for (const [variant, policy] of Object.entries(policies) as [keyof typeof policies, object][]) {
  const row = await db.kysely.selectFrom('project_keys').select('public_key').where('label', '=', `key ${label++}`).executeTakeFirstOrThrow();
  await db.kysely.updateTable('project_keys').set({ policy: storedPolicy(mergePolicy(EMPTY_POLICY, policy)) }).where('public_key', '=', row.public_key).execute();
  keys[variant] = row.public_key;
}
await services.ingest.parts.keys.warm();
const header = (name: string) => (name === 'origin' ? ORIGIN : undefined);

async function block(variant: Variant): Promise<number> {
  const key = keys[variant];
  const body = Buffer.from(sdkEnvelope(key));
  const url = `/api/${listedProjectId}/envelope/?sentry_key=${key}`;
  let waited = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < BLOCK; i++) {
    // A fresh copy of the body each time, as each request brings its own.
    let result = services.ingest.gate.admitWhole(envelopeGateRequest(url, Buffer.from(body), header));
    if (result instanceof Promise) {
      waited += 1;
      result = await result;
    }
    if (!result.ok) throw new Error(`${variant}: refused (${result.code})`);
  }
  const micros = Number(process.hrtime.bigint() - start) / 1000 / BLOCK;
  if (waited > 0 && waited < BLOCK) process.stderr.write(`${variant}: ${waited} of ${BLOCK} admits answered through a promise\n`);
  return micros;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (n: number) => Math.round(n * 100) / 100;
const variants = Object.keys(keys) as Variant[];
const timings = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
// The first round is warm-up: thrown away. The order alternates.
for (let b = 0; b <= BLOCKS; b++) {
  for (const variant of b % 2 ? [...variants].reverse() : variants) {
    const micros = await block(variant);
    if (b > 0) timings[variant].push(micros);
  }
}
const result = {
  block: BLOCK,
  blocks: BLOCKS,
  micros: Object.fromEntries(variants.map((v) => [v, round(median(timings[v]))])),
  added: Object.fromEntries(variants.filter((v) => v !== 'plain').map((v) => [v, round(median(timings[v].map((t, i) => t - timings.plain[i]!)))])),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await closeServices(services);
rmSync(dir, { recursive: true, force: true });
