/**
 * The two pages clientkeys started from (Sentry's docs for listing and creating client keys),
 * replayed as written, with an organization API key over HTTP Basic: the answers have the
 * documented status, headers and shape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Seed, startHarness } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

interface Example {
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  headers: Record<string, string>;
  responseBody: unknown;
}

/** The first http request block and the first http response block of a seed page. */
function readExample(file: string): Example {
  const text = readFileSync(join(import.meta.dirname, 'fixtures/seeds', file), 'utf8');
  const blocks = [...text.matchAll(/```http\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const [requestBlock, responseBlock] = blocks as [string, string];
  const [requestHead, requestBody = ''] = requestBlock.split(/\n\n/, 2);
  const [method, path] = requestHead!.split('\n')[0]!.split(' ') as [string, string];
  const [responseHead, ...rest] = responseBlock.split(/\n\n/);
  const headerLines = responseHead!.split('\n');
  const headers = Object.fromEntries(headerLines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return {
    method,
    path,
    requestBody: requestBody.trim() ? JSON.parse(requestBody) : undefined,
    status: Number(headerLines[0]!.split(' ')[1]),
    headers,
    responseBody: JSON.parse(rest.join('\n\n')),
  };
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Every field of the documented object is present with the same JSON type (recursively). */
function expectSameShape(actual: unknown, documented: unknown, at = '$'): void {
  if (documented === null) return; // null documents "may be absent of value" (rateLimit)
  expect(typeOf(actual), at).toBe(typeOf(documented));
  if (Array.isArray(documented)) {
    expect((actual as unknown[]).length, at).toBeGreaterThan(0);
    expectSameShape((actual as unknown[])[0], documented[0], `${at}[0]`);
  } else if (documented && typeof documented === 'object') {
    for (const [key, value] of Object.entries(documented)) {
      expect(actual, at).toHaveProperty([key]);
      expectSameShape((actual as Record<string, unknown>)[key], value, `${at}.${key}`);
    }
  }
}

/**
 * The headers of Django's middleware, as the seed shows them. `Vary` there also names Cookie: the
 * seed's request went through a browser session; an API key's request reads no session.
 */
function expectSeedHeaders(res: Response, example: Example): void {
  for (const name of ['x-content-type-options', 'x-frame-options', 'x-xss-protection', 'content-language']) {
    expect(example.headers[name], name).toBeDefined();
    expect(res.headers.get(name), name).toBe(example.headers[name]);
  }
  expect(example.headers.vary).toBe('Accept-Language, Cookie');
  expect(res.headers.get('vary')).toBe('Accept-Language');
}

const t = suiteFixture(async (onCleanup) => {
  const h = await startHarness({ publicUrl: 'https://sentry.io' });
  onCleanup(() => h.close());
  const seed = new Seed(h.services);
  const org = await seed.org('the-interstellar-jurisdiction');
  await seed.project(org, 'pump-station');
  const apiKey = await seed.apiKey(org, ['project:read', 'project:write']);
  return { h, apiKey };
});

async function replay(example: Example) {
  const path = example.path.replace(/\{organization_slug\}/, 'the-interstellar-jurisdiction');
  const res = await fetch(`${t.h.baseUrl}${path}`, {
    method: example.method,
    headers: {
      authorization: `Basic ${Buffer.from(`${t.apiKey}:`).toString('base64')}`,
      ...(example.requestBody ? { 'content-type': 'application/json' } : {}),
    },
    body: example.requestBody ? JSON.stringify(example.requestBody) : undefined,
  });
  return { res, body: (await res.json()) as unknown };
}

describe('seed pages', () => {
  it('create-client-key.md: 201 with the documented key', async () => {
    const example = readExample('create-client-key.md');
    expect(example.requestBody).toEqual({ name: 'Fabulous Key' });
    const { res, body } = await replay(example);
    expect(res.status).toBe(example.status);
    expect(res.headers.get('allow')).toBe(example.headers.allow);
    expectSeedHeaders(res, example);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectSameShape(body, example.responseBody);
    const key = body as Record<string, any>;
    expect(key.name).toBe('Fabulous Key');
    expect(key.label).toBe('Fabulous Key');
    expect(key.dsn.public).toBe(`https://${key.public}@sentry.io/${key.projectId}`);
    expect(key.dsn.cdn).toBe(`https://sentry.io/js-sdk-loader/${key.public}.min.js`);
    expect(key.dsn.minidump).toBe(`https://sentry.io/api/${key.projectId}/minidump/?sentry_key=${key.public}`);
  });

  it('list-client-keys.md: 200 with the documented list and Link header', async () => {
    const example = readExample('list-client-keys.md');
    const { res, body } = await replay(example);
    expect(res.status).toBe(example.status);
    expect(res.headers.get('allow')).toBe(example.headers.allow);
    expectSeedHeaders(res, example);
    expectSameShape(body, example.responseBody);
    // Same grammar as the documented header; the cursors differ (per_page is 10 now, 100 then).
    const documented = example.headers.link!.replace(/cursor=[\d:]+|cursor="[\d:]+"/g, 'C');
    const link = res.headers.get('link')!;
    const ours = link.replace(/cursor=[\d:]+|cursor="[\d:]+"/g, 'C');
    expect(ours).toBe(documented);
    expect((body as unknown[]).length).toBe(2);
  });
});
