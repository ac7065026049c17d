/**
 * The depth check every request's JSON passes before JSON.parse: exact at the limit, blind to
 * brackets inside strings, and the same for text and bytes, whether the document holds few
 * brackets (answered by counting them) or many (answered by the scan).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../src/domain/json-depth.ts';

function depth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depth));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

const both = (json: string, max?: number) => [nestsDeeperThan(json, max), nestsDeeperThan(Buffer.from(json), max)];

describe('the JSON depth check', () => {
  it('answers as the depth of the parsed document, for text and bytes alike', () => {
    const bracketText = fc.string({ unit: fc.constantFrom('{', '[', ']', '}', '"', '\\', 'a') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, bracketText, fc.integer(), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(bracketText, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (doc, max) => {
        const json = JSON.stringify(doc);
        const deeper = depth(doc) > max;
        expect(both(json, max)).toEqual([deeper, deeper]);
      }),
      { numRuns: 500 },
    );
  });

  it('is exact at the limit', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(both(nested(MAX_JSON_DEPTH))).toEqual([false, false]);
    expect(both(nested(MAX_JSON_DEPTH + 1))).toEqual([true, true]);
  });

  it('lets many shallow brackets through, and catches depth behind them', () => {
    const siblings = `[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`;
    expect(both(siblings)).toEqual([false, false]);
    const deepAfter = `[${Array.from({ length: 1000 }, () => '{}').join(',')},${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}]`;
    expect(both(deepAfter)).toEqual([true, true]);
    // Brackets inside strings are not nesting, however many.
    expect(both(JSON.stringify({ a: '['.repeat(10_000) }))).toEqual([false, false]);
  });
});
