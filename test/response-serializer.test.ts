/**
 * Key answers are written with JSON.stringify, not through zod's encode (src/schemas/built-by-serializers.ts).
 * That is only right while the serializer builds exactly what the schema would: the same fields,
 * in the schema's order, with the schema's types. Generated rows of every shape prove it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBuiltBySerializers } from '../src/schemas/built-by-serializers.ts';
import { projectKeyListSchema, projectKeySchema } from '../src/schemas/project-key.ts';
import { KeySerializer } from '../src/services/key-serializer.ts';
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

  it('applies to the key schemas only', () => {
    expect([isBuiltBySerializers(projectKeySchema), isBuiltBySerializers(projectKeyListSchema)]).toEqual([true, true]);
    expect(isBuiltBySerializers(projectKeySchema.shape.dsn)).toBe(false);
  });
});
