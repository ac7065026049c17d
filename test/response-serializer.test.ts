/**
 * Key answers are written with JSON.stringify, not through zod's encode (src/schemas/built-by-serializers.ts),
 * or from bytes made once and kept (KeySerializer.answer). That is only right while the serializer
 * builds exactly what the schema would (the same fields, in the schema's order, with the schema's
 * types) and a kept answer is never served for a key that changed. Generated rows of every shape,
 * and generated histories of changes to them, prove both.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBuiltBySerializers, writeJson } from '../src/schemas/built-by-serializers.ts';
import { projectKeyListSchema, projectKeySchema } from '../src/schemas/project-key.ts';
import { KeySerializer } from '../src/services/serializers/project-key.ts';
import type { ProjectKeyRow } from '../src/storage/schema.ts';

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const loader = fc.record(
  { hasReplay: fc.boolean(), hasPerformance: fc.boolean(), hasDebug: fc.boolean(), hasFeedback: fc.boolean(), hasLogsAndMetrics: fc.boolean() },
  { requiredKeys: [] },
);
const data = fc.oneof(
  fc.record({ browserSdkVersion: fc.constantFrom('10.x', '9.x', '', 'latest'), dynamicSdkLoaderOptions: loader }, { requiredKeys: [] }).map((d) => JSON.stringify(d)),
  fc.constantFrom('{}', 'not json', '[]', 'null', '{"dynamicSdkLoaderOptions":null}'),
);
const isoDate = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());

const rows: fc.Arbitrary<ProjectKeyRow> = fc.record({
  id: fc.integer({ min: 1, max: 2 ** 31 }),
  project_id: fc.integer({ min: 1, max: 2 ** 31 }),
  label: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constant('')),
  public_key: hex32,
  secret_key: hex32,
  roles: fc.integer({ min: 0, max: 3 }),
  status: fc.constantFrom(0, 1),
  date_added: isoDate,
  rate_limit_count: fc.option(fc.integer({ min: 0, max: 1_000_000 })),
  rate_limit_window: fc.option(fc.integer({ min: 0, max: 86_400 })),
  data,
  use_case: fc.constantFrom('user', 'profiling', 'demo'),
  expires_at: fc.option(isoDate),
  replaced_by: fc.option(hex32),
  replaces: fc.option(hex32),
  policy: fc.option(
    fc
      .record({
        quotas: fc.array(fc.record({ categories: fc.subarray(['error', 'transaction', 'span', 'attachment', 'log_byte']), count: fc.nat(), window: fc.integer({ min: 1, max: 86_400 }) }), { maxLength: 3 }),
        allowedIps: fc.array(fc.constantFrom('10.0.0.0/8', '2001:db8::/32', '192.0.2.1')),
        deniedIps: fc.array(fc.constantFrom('10.1.0.0/16')),
        allowedOrigins: fc.array(fc.constantFrom('*.example.com', 'https://app.test')),
        requireOrigin: fc.boolean(),
        serverOnly: fc.boolean(),
      })
      .map((p) => JSON.stringify(p)),
  ),
});

const publicUrls = fc.constantFrom('http://localhost:9000', 'https://keys.example.com/sentry/', 'https://[::1]:8443');

describe('key answers written without zod', () => {
  it('are the bytes zod would write, for one key and for pages of keys', () => {
    fc.assert(
      fc.property(publicUrls, fc.array(rows, { maxLength: 5 }), fc.boolean(), (publicUrl, keyRows, includeUseCase) => {
        const serializer = new KeySerializer(publicUrl);
        const page = keyRows.map((r) => serializer.serialize(r, { includeUseCase, now: Date.parse('2030-01-01T00:00:00Z') }));
        expect(JSON.stringify(page)).toBe(JSON.stringify(projectKeyListSchema.encode(page)));
        for (const key of page) expect(JSON.stringify(key)).toBe(JSON.stringify(projectKeySchema.encode(key)));
      }),
      { numRuns: 500 },
    );
  });

  it('are the same bytes when kept and copied, for one key and for pages of keys', () => {
    fc.assert(
      fc.property(publicUrls, fc.array(rows, { maxLength: 5 }), fc.boolean(), (publicUrl, keyRows, includeUseCase) => {
        const serializer = new KeySerializer(publicUrl);
        const now = Date.parse('2030-01-01T00:00:00Z');
        const page = keyRows.map((r) => serializer.answer(r, { includeUseCase, now }));
        const expected = JSON.stringify(projectKeyListSchema.encode(keyRows.map((r) => serializer.serialize(r, { includeUseCase, now }))));
        expect(Buffer.from(writeJson(page)).toString('utf8')).toBe(expected);
        for (const key of page) expect(Buffer.from(writeJson(key)).toString('utf8')).toBe(JSON.stringify(projectKeySchema.encode(key)));
      }),
      { numRuns: 300 },
    );
  });

  it('never serves a kept answer for a key that changed, became inactive, or is seen by another kind of caller', () => {
    // A history of requests for a few keys: asked again as they are, or after one column changed.
    const columns = Object.keys(fc.sample(rows, 1)[0]!).filter((c) => c !== 'id') as (keyof ProjectKeyRow)[];
    const change = fc.oneof(fc.constant(null), fc.tuple(fc.constantFrom(...columns), rows));
    const step = fc.record({ id: fc.integer({ min: 1, max: 3 }), change, includeUseCase: fc.boolean(), at: isoDate });
    let kept = 0;
    fc.assert(
      fc.property(fc.array(rows, { minLength: 3, maxLength: 3 }), fc.array(step, { minLength: 1, maxLength: 40 }), (initial, history) => {
        const serializer = new KeySerializer('https://keys.example.com');
        const current = new Map(initial.map((row, i) => [i + 1, { ...row, id: i + 1 }]));
        const previous = new Map<number, unknown>();
        for (const { id, change, includeUseCase, at } of history) {
          if (change) current.set(id, { ...current.get(id)!, [change[0]]: change[1][change[0]] });
          const row = { ...current.get(id)! };
          const options = { includeUseCase, now: Date.parse(at) };
          const answer = serializer.answer(row, options);
          expect(answer).toEqual(serializer.serialize(row, options));
          if (answer === previous.get(id)) kept += 1;
          previous.set(id, answer);
        }
      }),
      { numRuns: 300 },
    );
    expect(kept).toBeGreaterThan(100);
  });

  it('shares a kept answer only frozen, so no caller can change what the next one is sent', () => {
    const serializer = new KeySerializer('https://keys.example.com');
    const [row] = fc.sample(rows, { numRuns: 1, seed: 7 });
    const answer = serializer.answer(row!, { includeUseCase: false });
    expect(serializer.answer({ ...row! }, { includeUseCase: false })).toBe(answer);
    expect(() => Object.assign(answer.dsn, { public: 'changed' })).toThrow(TypeError);
    expect(() => Object.assign(answer, { name: 'changed' })).toThrow(TypeError);
  });

  it('applies to the key schemas only', () => {
    expect([isBuiltBySerializers(projectKeySchema), isBuiltBySerializers(projectKeyListSchema)]).toEqual([true, true]);
    expect(isBuiltBySerializers(projectKeySchema.shape.dsn)).toBe(false);
  });
});
