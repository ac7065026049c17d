/**
 * No request stalls the server: for every DSN endpoint and the management routes that read what a
 * caller sends, inputs of growing size in the shapes that trip parsers (repeated separators, header
 * lines, unclosed quotes, nesting, runs of one character) cost event-loop time linear in their size;
 * and without a valid key, almost nothing whatever their size. Measured in the server under test
 * (its CPU time, event-loop utilisation and delay), with the client in another process
 * (test/helpers/input-cost.ts). Thresholds are wide (3× linear, plus a few ms): what they catch is
 * super-linear growth, not the machine's noise.
 */
import { describe, expect, it } from 'vitest';
import { ingestConfig, startOrg } from './helpers/harness.ts';
import { bareDrainServer, CostMeter, repeatTo, SHAPES, type Cost, type CostRequest } from './helpers/input-cost.ts';
import { suiteFixture } from './helpers/fixture.ts';

const SMALL = 256 * 1024;
const LARGE = 1_000_000;
/** The management API's query strings live in the request line, which Node caps at 16 KiB of headers. */
const URL_SMALL = 1000;
const URL_LARGE = 12_000;
const TRIALS = 3;
/** Refusals are cheap enough that a scheduler hiccup is a large part of one: take the best of more (5 read 4.5 ms on a machine at load 6). */
const REFUSAL_TRIALS = 8;
/**
 * "Almost nothing, whatever its size", against a floor measured beside it: a bare node:http server
 * on the same thread that reads the same bytes to their end and answers 403 (the bytes must be
 * read for the answer to reach the client). A refusal may cost at most twice that floor plus
 * 3 ms (routing, the answer, its log line, and the noise of a shared machine), at 1 KB and 1 MB alike.
 */
const REFUSAL_SLACK_MS = 3;

const t = suiteFixture(async (onCleanup) => {
  // The body limit sits just above the largest input, so every input is read, not refused for size.
  const { h, seed, org } = await startOrg({ ingest: ingestConfig({ maxBodyBytes: 1024 * 1024, statsFlushSeconds: 60 }) });
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  const project = await seed.project(org, 'web', team);
  const key = await seed.defaultKey(project);
  const token = await seed.caller(org, 'owner@acme.example');
  const meter = new CostMeter();
  onCleanup(() => meter.close());
  const bare = await bareDrainServer();
  onCleanup(() => bare.close());
  return { h, meter, project, key, token, bare };
});

interface Endpoint {
  name: string;
  path: (key: string) => string;
  headers?: Record<string, string>;
  /** Where in a well-formed body the shape goes, so that it reaches the parser deepest inside (the shape alone is tried too). */
  frames?: ((shape: string) => string)[];
}

const EVENT_ID = 'a'.repeat(32);
const ENVELOPE_FRAMES = [
  (shape: string) => `{"event_id":"${EVENT_ID}","x":"${shape}"}\n{"type":"event"}\n{}\n`,
  (shape: string) => `{"event_id":"${EVENT_ID}"}\n${shape}\n{}\n`,
  (shape: string) => `{"event_id":"${EVENT_ID}"}\n{"type":"event"}\n${shape}`,
  (shape: string) => `{"event_id":"${EVENT_ID}"}\n{"type":"attachment","length":${shape.length}}\n${shape}\n`,
];
const MULTIPART_FRAMES = [
  // The shape as a part's header lines: where the quadratic header regex was (finding H1).
  (shape: string) => `--x\r\n${shape}\r\n\r\nMDMP\r\n--x--\r\n`,
  (shape: string) => `--x\r\ncontent-disposition: form-data; ${shape}\r\n\r\nMDMP\r\n--x--\r\n`,
  (shape: string) => `--x\r\nContent-Disposition: form-data; name="upload_file_minidump"\r\n\r\nMDMP${shape}\r\n--x\r\nContent-Disposition: form-data; name="sentry"\r\n\r\n${shape}\r\n--x--\r\n`,
];
const JSON_FRAMES = [(shape: string) => `{"event_id":"${EVENT_ID}","message":"${shape}"}`, (shape: string) => `[${shape}]`];

const DSN_ENDPOINTS: Endpoint[] = [
  { name: 'envelope', path: (k) => `/api/${t.project.id}/envelope/?sentry_key=${k}&sentry_version=7`, frames: ENVELOPE_FRAMES },
  { name: 'store', path: (k) => `/api/${t.project.id}/store/?sentry_key=${k}`, frames: JSON_FRAMES },
  { name: 'store (envelope content type)', path: (k) => `/api/${t.project.id}/store/?sentry_key=${k}`, headers: { 'content-type': 'application/x-sentry-envelope' }, frames: ENVELOPE_FRAMES },
  { name: 'security', path: (k) => `/api/${t.project.id}/security/?sentry_key=${k}`, headers: { 'content-type': 'application/csp-report' }, frames: JSON_FRAMES },
  { name: 'nel', path: (k) => `/api/${t.project.id}/nel/?sentry_key=${k}`, frames: JSON_FRAMES },
  { name: 'minidump (multipart)', path: (k) => `/api/${t.project.id}/minidump/?sentry_key=${k}`, headers: { 'content-type': 'multipart/form-data; boundary=x' }, frames: MULTIPART_FRAMES },
  { name: 'minidump (raw)', path: (k) => `/api/${t.project.id}/minidump/?sentry_key=${k}` },
  { name: 'unreal', path: (k) => `/api/${t.project.id}/unreal/${k}/` },
  { name: 'otlp', path: (k) => `/api/${t.project.id}/integration/otlp/v1/traces/?sentry_key=${k}` },
  { name: 'attachments', path: (k) => `/api/${t.project.id}/events/${'a'.repeat(32)}/attachments/?sentry_key=${k}` },
  { name: 'cron', path: (k) => `/api/${t.project.id}/cron/nightly/${k}/?status=ok` },
];

const post = (path: string, body: string, headers: Record<string, string> = {}): CostRequest => ({
  url: `${t.h.baseUrl}${path}`,
  method: 'POST',
  headers,
  body: Buffer.from(body),
});

const format = (cost: Cost) => `${cost.cpuMs.toFixed(2)} ms CPU (loop ${cost.activeMs.toFixed(1)} ms, stall ${cost.maxStallMs.toFixed(1)} ms, ${cost.status})`;

interface Sample {
  bytes: number;
  cost: Cost;
}

/**
 * Linear growth: what the large input costs beyond a tiny one (the request's constant part: a new
 * connection, routing, the answer) may be at most three times the small input's cost beyond the
 * cheaper of the two, scaled by size, plus a slack for what one collection of the garbage a megabyte
 * leaves costs (25 ms for bodies, 10 ms for query strings). What is caught is super-linear growth:
 * the quadratic paths this test was written against cost 60 ms at a 12 KB query and 2.4 s at a
 * 500 KB body.
 */
async function expectLinear(what: string, measureAt: (size: number) => Promise<Sample>, sizes: [number, number, number], slackMs = 25): Promise<void> {
  const [tiny, small, large] = [await measureAt(sizes[0]), await measureAt(sizes[1]), await measureAt(sizes[2])];
  // A tiny input may take another, costlier way (a 201 where larger ones are 400s).
  const base = Math.min(tiny.cost.cpuMs, small.cost.cpuMs);
  const perByte = (small.cost.cpuMs - base) / small.bytes;
  const allowed = base + 3 * perByte * large.bytes + slackMs;
  const report = `${what}: ${format(tiny.cost)} at ${tiny.bytes} B, ${format(small.cost)} at ${small.bytes} B, ${format(large.cost)} at ${large.bytes} B (allowed ${allowed.toFixed(1)} ms)`;
  if (process.env.COST_REPORT) console.log(report);
  for (const sample of [tiny, small, large]) expect(sample.cost.status, report).toBeLessThan(500);
  expect(large.cost.cpuMs, report).toBeLessThanOrEqual(allowed);
  // Linear, and a small enough constant: no single block of the loop approaches a user-visible
  // stall (wall clock, so with room for a busy machine taking the core away now and then).
  expect(large.cost.maxStallMs, report).toBeLessThan(500);
}

const sample = async (request: CostRequest): Promise<Sample> => ({
  bytes: (request.body?.length ?? 0) + request.url.length,
  cost: await t.meter.cheapest(() => request, TRIALS),
});

async function expectCheapRefusal(what: string, request: (size: number) => CostRequest): Promise<void> {
  for (const size of [1024, LARGE]) {
    const floor = (): CostRequest => ({ url: t.bare.url, method: 'POST', headers: {}, body: Buffer.alloc(size, 0x61) });
    // Interleaved, so both see the same machine.
    let refusal: Cost | undefined;
    let bareCost: Cost | undefined;
    for (let i = 0; i < REFUSAL_TRIALS; i++) {
      const a = await t.meter.measure(request(size));
      const b = await t.meter.measure(floor());
      if (!refusal || a.cpuMs < refusal.cpuMs) refusal = a;
      if (!bareCost || b.cpuMs < bareCost.cpuMs) bareCost = b;
    }
    const allowed = 2 * bareCost!.cpuMs + REFUSAL_SLACK_MS;
    const report = `${what}: ${format(refusal!)} at ${size} B; bare node:http reading them ${bareCost!.cpuMs.toFixed(2)} ms CPU (allowed ${allowed.toFixed(2)} ms)`;
    if (process.env.COST_REPORT) console.log(report);
    expect(refusal!.status, report).toBeGreaterThanOrEqual(400);
    expect(refusal!.status, report).toBeLessThan(500);
    expect(refusal!.cpuMs, report).toBeLessThan(allowed);
  }
}

describe('DSN endpoints', () => {
  it.each(DSN_ENDPOINTS)('$name: a valid key, any shape, costs time linear in the size', async (endpoint) => {
    const frames = [(shape: string) => shape, ...(endpoint.frames ?? [])];
    for (const [index, frame] of frames.entries()) {
      for (const [shape, grow] of Object.entries(SHAPES)) {
        // Framed inputs stay under the body limit: the frame adds a few dozen bytes, or doubles the shape.
        const large = index === 0 ? LARGE : LARGE / 2 - 1024;
        const measureAt = (size: number) => sample(post(endpoint.path(t.key.public_key), frame(grow(size)), endpoint.headers));
        await expectLinear(`${endpoint.name}, ${shape}, frame ${index}`, measureAt, [16, SMALL, large]);
      }
    }
  });

  it.each(DSN_ENDPOINTS)('$name: an unknown key or none costs almost nothing, whatever the size', async (endpoint) => {
    for (const [shape, grow] of Object.entries(SHAPES)) {
      for (const credential of ['f'.repeat(32), 'not-a-key']) {
        await expectCheapRefusal(`${endpoint.name}, ${shape}, key ${credential}`, (size) => post(endpoint.path(credential), grow(size), endpoint.headers));
      }
    }
  });

  it('an envelope whose key is only in its header (the body must be read): bounded, linear', async () => {
    for (const [shape, grow] of Object.entries(SHAPES)) {
      await expectLinear(`envelope without request auth, ${shape}`, (size) => sample(post(`/api/${t.project.id}/envelope/`, grow(size))), [16, SMALL, LARGE]);
    }
    const dsn = `http://${t.key.public_key}@testserver/${t.project.id}`;
    const withHeader = (size: number) => `{"dsn":"${dsn}","sdk":{"name":"${'n'.repeat(size)}"}}\n{"type":"event"}\n{}\n`;
    await expectLinear('envelope header dsn with a long header', (size) => sample(post(`/api/${t.project.id}/envelope/`, withHeader(size))), [16, SMALL, LARGE - 1024]);
  });

  it('many Content-Encoding layers cost nothing before they are refused', async () => {
    const header = repeatTo('gzip, ', 8000);
    await expectCheapRefusal('500 Content-Encoding layers', (size) => post(`/api/${t.project.id}/envelope/?sentry_key=${t.key.public_key}`, 'x'.repeat(size), { 'content-encoding': header }));
  });
});

describe('management routes', () => {
  const auth = () => ({ authorization: `Bearer ${t.token}`, 'content-type': 'application/json' });
  const send = (method: string, path: string, body: string | undefined, headers: Record<string, string>): CostRequest => ({
    url: `${t.h.baseUrl}${path}`,
    method,
    headers,
    body: body === undefined ? undefined : Buffer.from(body),
  });

  const BODIES: Record<string, (size: number) => string> = {
    ...SHAPES,
    'allowedDomains entry of slashes': (n) => JSON.stringify({ allowedDomains: [`a${'/'.repeat(n)}x`] }),
    'many allowedDomains': (n) => JSON.stringify({ allowedDomains: Array.from({ length: Math.floor(n / 14) }, (_, i) => `a${i}.example`) }),
    'long name': (n) => JSON.stringify({ name: 'n'.repeat(n) }),
    'many keys': (n) => JSON.stringify(Object.fromEntries(Array.from({ length: Math.floor(n / 12) }, (_, i) => [`k${i}`, i]))),
    'deep JSON': (n) => `${'{"a":'.repeat(Math.floor(n / 5))}1${'}'.repeat(Math.floor(n / 5))}`,
  };
  const ROUTES: [string, string][] = [
    ['PUT', '/api/0/projects/acme/web/'],
    ['POST', '/api/0/projects/acme/web/keys/'],
    ['POST', '/api/0/teams/acme/backend/projects/'],
  ];

  it.each(ROUTES)('%s %s: any body costs time linear in its size', async (method, path) => {
    for (const [shape, grow] of Object.entries(BODIES)) {
      await expectLinear(`${method} ${path}, ${shape}`, (size) => sample(send(method, path, grow(size), auth())), [16, SMALL, LARGE - 64 * 1024]);
    }
  });

  it.each(ROUTES)('%s %s: without a valid credential, any body costs almost nothing', async (method, path) => {
    for (const [shape, grow] of Object.entries(BODIES)) {
      const callers: Record<string, string>[] = [{ 'content-type': 'application/json' }, { authorization: `Bearer sntryu_${'0'.repeat(64)}`, 'content-type': 'application/json' }];
      for (const headers of callers) {
        await expectCheapRefusal(`${method} ${path}, ${shape}`, (size) => send(method, path, grow(Math.min(size, LARGE - 64 * 1024)), headers));
      }
    }
  });

  const LISTS = ['/api/0/organizations/', '/api/0/organizations/acme/projects/', '/api/0/organizations/acme/teams/', '/api/0/projects/acme/web/keys/', '/api/0/organizations/acme/project-keys/'];
  const QUERIES: Record<string, (size: number) => string> = {
    spaces: (n) => ' '.repeat(n),
    'spaces after a key': (n) => `a:${' '.repeat(n)}b`,
    quotes: (n) => '"'.repeat(n),
    'unclosed quote': (n) => `"${'a '.repeat(n / 2)}`,
    colons: (n) => ':'.repeat(n),
    'key:value pairs': (n) => repeatTo('k:v ', n),
    parentheses: (n) => '('.repeat(n),
  };
  // Form encoding keeps a space one byte (+); anything else that needs escaping triples.
  const encode = (text: string) => encodeURIComponent(text).replaceAll('%20', '+');

  it.each(LISTS)('GET %s?query=…: costs time linear in the query', async (path) => {
    for (const [shape, grow] of Object.entries(QUERIES)) {
      // Sized so that the encoded query, not the text, is what grows to URL_LARGE.
      const expansion = encode(grow(100)).length / 100;
      const measureAt = (size: number) => sample(send('GET', `${path}?query=${encode(grow(Math.floor(size / expansion)))}&cursor=${encode('1.5:0:0')}`, undefined, auth()));
      await expectLinear(`GET ${path}, ${shape}`, measureAt, [16, URL_SMALL, URL_LARGE], 10);
    }
  });
});
