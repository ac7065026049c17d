/**
 * The ingest gate alone, in process: what `IngestGate.admit` costs per request for the bench's
 * envelope, without HTTP, the load generator or the scheduler between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { closeServices, createServices } from '../src/composition.ts';
import { envelopeGateRequest } from './gate-request.ts';
import { sdkEnvelope } from './ingest.ts';
import { seedDatabase } from './seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'clientkeys-gate-'));
const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
const { listedProjectId, publicKey } = await seedDatabase(databaseUrl, 1_000);
const services = createServices(loadConfig({ DATABASE_URL: databaseUrl }));
await services.ingest.parts.keys.warm();
const body = Buffer.from(sdkEnvelope(publicKey));
const url = `/api/${listedProjectId}/envelope/?sentry_key=${publicKey}`;
// A fresh copy of the body each time, as each request brings its own.
const request = () => envelopeGateRequest(url, Buffer.from(body));
for (let round = 0; round < 5; round++) {
  const n = 200_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = services.ingest.gate.admitWhole(request());
    if (result instanceof Promise || !result.ok) throw new Error('not admitted at once');
  }
  const micros = Number(process.hrtime.bigint() - start) / 1000 / n;
  process.stdout.write(`${micros.toFixed(2)} µs per admit\n`);
  await new Promise((r) => setImmediate(r));
}
await closeServices(services);
rmSync(dir, { recursive: true, force: true });
