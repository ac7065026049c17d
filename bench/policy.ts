/**
 * Key policy (issue 19): the ingest bench with a key that carries a policy against the project's
 * plain Default key, on the same clientkeys process, in alternating rounds (the order alternates
 * too). The policy key is created and set through the API (`POST …/keys/`, then
 * `PUT …/keys/{key_id}/`): three quotas over the error categories with counts no run reaches, ten
 * CIDRs in allowedIps (the one holding 127.0.0.1 last), ten allowedOrigins (the one the requests
 * send last). Requests to both keys carry the same `Origin`, so the only difference is the policy.
 * Before the load, a request from an origin the policy does not list must be refused: the policy is
 * live in the gate. Keys with one part of the policy each (quotas, CIDRs, origins) show where a
 * difference goes, and a second plain key (`control`) what two identical keys differ by; then the
 * same keys in the gate alone, in process (bench/policy-micro.ts), finer than a server's figure. Any answer but a 2xx aborts the bench (nothing was refused by a quota).
 * Target: server CPU per event within +5 µs of the plain key's.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api, firstKey, ORG, type KeyAnswer } from './api.ts';
import { CONNECTIONS, sdkEnvelope } from './ingest.ts';
import { load, median, medianResult, QUICK, ratio as ratioOf, ROOT, ROUNDS, startClientkeys, warmUp, type LoadResult } from './lib.ts';
import { seedDatabase } from './seed.ts';

export const POLICY_TARGET_MICROS = 5;
/** A difference of a few µs needs more rounds than a ratio does. */
export const POLICY_ROUNDS = Number(process.env.BENCH_POLICY_ROUNDS ?? (QUICK ? 2 : ROUNDS * 2));

export const ORIGIN = 'https://app.example.com';

export const POLICY = {
  quotas: [
    { categories: ['error'], count: 1_000_000_000, window: 60 },
    { categories: ['error', 'default', 'security'], count: 1_000_000_000, window: 3600 },
    { categories: ['error', 'transaction', 'span'], count: 1_000_000_000, window: 86_400 },
  ],
  allowedIps: [...Array.from({ length: 9 }, (_, i) => `10.${i}.0.0/16`), '127.0.0.0/8'],
  allowedOrigins: [...Array.from({ length: 9 }, (_, i) => (i % 3 === 0 ? `https://*.site-${i}.example.org` : `https://app-${i}.example.net`)), ORIGIN],
};

/** Each part of the policy alone on a key of its own, to see where a difference goes. */
export const PARTS = {
  quotas: { quotas: POLICY.quotas },
  ips: { allowedIps: POLICY.allowedIps },
  origins: { allowedOrigins: POLICY.allowedOrigins },
};

/** `control`: a second plain key, as `plain`: what two identical keys differ by here. */
const VARIANTS = ['plain', 'policy', 'quotas', 'ips', 'origins', 'control'] as const;
type Variant = (typeof VARIANTS)[number];

export interface PolicyFigures {
  plain: LoadResult;
  policy: LoadResult;
  /** Keys with one part of the policy each: the quotas, the CIDRs, the origins. */
  parts: Record<keyof typeof PARTS, LoadResult & { cpuAddedMicros: number }>;
  control: LoadResult;
  /** Server CPU µs per event, control − plain (median of each round's difference): the noise floor. */
  controlMicros: number;
  rounds: Record<Variant, LoadResult>[];
  /** Server CPU µs per event the policy adds (medians' difference). */
  cpuAddedMicros: number;
  /** The same, as the median of each round's difference. */
  cpuAddedMicrosPaired: number;
  ratio: number;
  /** bench/policy-micro.ts: the gate in process, µs per admit and what each policy adds to the plain key's. */
  micro: { block: number; blocks: number; micros: Record<'plain' | 'policy' | keyof typeof PARTS, number>; added: Record<'policy' | keyof typeof PARTS, number> };
}

const run = promisify(execFile);

function envelopePath(key: KeyAnswer): string {
  return `/api/${key.projectId}/envelope/?sentry_version=7&sentry_key=${key.public}&sentry_client=sentry.javascript.node%2F11.12.0`;
}

export async function measurePolicy(): Promise<PolicyFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-policy-'));
  try {
    const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
    const { token } = await seedDatabase(databaseUrl, 1);
    const server = await startClientkeys(databaseUrl);
    try {
      const plainKey = await firstKey(server, token, 'listed');
      const created = await api<KeyAnswer>(server, token, 'POST', `/api/0/projects/${ORG}/listed/keys/`, { name: 'policy' });
      const policyKey = await api<KeyAnswer & typeof POLICY>(server, token, 'PUT', `/api/0/projects/${ORG}/listed/keys/${created.id}/`, POLICY);
      if (policyKey.quotas.length !== 3 || policyKey.allowedIps.length !== 10 || policyKey.allowedOrigins.length !== 10) throw new Error(`policy not stored: ${JSON.stringify(policyKey)}`);
      const keys = { plain: plainKey, policy: policyKey } as Partial<Record<Variant, KeyAnswer>> as Record<Variant, KeyAnswer>;
      keys.control = await api<KeyAnswer>(server, token, 'POST', `/api/0/projects/${ORG}/listed/keys/`, { name: 'control' });
      for (const [part, policy] of Object.entries(PARTS) as [keyof typeof PARTS, object][]) {
        const key = await api<KeyAnswer>(server, token, 'POST', `/api/0/projects/${ORG}/listed/keys/`, { name: part });
        keys[part] = await api<KeyAnswer>(server, token, 'PUT', `/api/0/projects/${ORG}/listed/keys/${key.id}/`, policy);
      }
      const options = (variant: Variant) => ({
        url: `${server.url}${envelopePath(keys[variant])}`,
        connections: CONNECTIONS,
        method: 'POST' as const,
        headers: { origin: ORIGIN },
        body: sdkEnvelope(keys[variant].public),
      });
      // The policy is in the gate: another origin is refused (the change reaches the key map within a second).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { url, body } = options('policy');
        const response = await fetch(url, { method: 'POST', body, headers: { origin: 'https://elsewhere.example.com' } });
        await response.arrayBuffer();
        if (response.status === 403) break;
        if (Date.now() > deadline) throw new Error(`a request from an unlisted origin got ${response.status}: the policy is not applied`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      for (const variant of VARIANTS) {
        const { url, body, headers } = options(variant);
        const response = await fetch(url, { method: 'POST', body, headers });
        if (response.status !== 200) throw new Error(`${variant}: ${response.status} ${await response.text()}`);
        await warmUp(options(variant));
      }
      const rounds: Record<Variant, LoadResult>[] = [];
      for (let i = 0; i < POLICY_ROUNDS; i += 1) {
        const results = {} as Record<Variant, LoadResult>;
        for (const variant of i % 2 ? [...VARIANTS].reverse() : VARIANTS) results[variant] = await load(server, options(variant));
        rounds.push(results);
      }
      const plain = medianResult(rounds.map((r) => r.plain));
      const policy = medianResult(rounds.map((r) => r.policy));
      const parts = Object.fromEntries(
        (Object.keys(PARTS) as (keyof typeof PARTS)[]).map((part) => {
          const result = medianResult(rounds.map((r) => r[part]));
          return [part, { ...result, cpuAddedMicros: Math.round((result.cpuMicrosPerRequest - plain.cpuMicrosPerRequest) * 10) / 10 }];
        }),
      ) as PolicyFigures['parts'];
      const paired = (a: Variant, b: Variant) => Math.round(median(rounds.map((r) => r[a].cpuMicrosPerRequest - r[b].cpuMicrosPerRequest)) * 10) / 10;
      await server.stop();
      // The server is stopped: the micro benchmark (a child process) has the machine to itself, as far as this bench goes.
      const env = { ...process.env, ...(QUICK ? { BENCH_MICRO_BLOCKS: '4', BENCH_MICRO_BLOCK: '50000' } : {}) };
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'policy-micro.ts')], { cwd: ROOT, env });
      const micro = JSON.parse(stdout.trim().split('\n').at(-1)!) as PolicyFigures['micro'];
      return {
        micro,
        plain,
        policy,
        parts,
        rounds,
        cpuAddedMicros: Math.round((policy.cpuMicrosPerRequest - plain.cpuMicrosPerRequest) * 10) / 10,
        cpuAddedMicrosPaired: paired('policy', 'plain'),
        control: medianResult(rounds.map((r) => r.control)),
        controlMicros: paired('control', 'plain'),
        ratio: ratioOf(policy.requestsPerSecond, plain.requestsPerSecond),
      };
    } finally {
      await server.stop().catch(() => {});
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
