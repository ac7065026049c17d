import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boolean, char, choice, integer, list, serializer, toDrfErrors } from '../src/schemas/drf.ts';

const parse = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? { ok: result.data } : { errors: toDrfErrors(result.error.issues) };
};

describe('DRF fields', () => {
  const wrap = (field: z.ZodType) => serializer({ f: field.optional() });

  it('IntegerField accepts what Python int() does', () => {
    const f = wrap(integer({ min: 0, max: 100 }));
    for (const [input, value] of [[5, 5], ['5', 5], [' 7 ', 7], ['10.0', 10], [10.0, 10], ['+3', 3], ['1_0', 10]] as const) {
      expect(parse(f, { f: input })).toEqual({ ok: { f: value } });
    }
    for (const input of [5.5, '5.5', 'five', true, [], {}, '']) {
      expect(parse(f, { f: input })).toEqual({ errors: { f: ['A valid integer is required.'] } });
    }
    expect(parse(f, { f: 'x'.repeat(1001) })).toEqual({ errors: { f: ['String value too large.'] } });
  });

  it('EmptyIntegerField reads "" as no value', () => {
    expect(parse(wrap(integer({ emptyAsNull: true, allowNull: true })), { f: '' })).toEqual({ ok: { f: null } });
  });

  it('BooleanField accepts DRF true/false spellings', () => {
    const f = wrap(boolean());
    for (const t of [true, 'true', 'True', 'yes', 'on', '1', 1, 't', 'y']) expect(parse(f, { f: t })).toEqual({ ok: { f: true } });
    for (const v of [false, 'false', 'no', 'off', '0', 0, 'f', 'n']) expect(parse(f, { f: v })).toEqual({ ok: { f: false } });
    expect(parse(f, { f: 'maybe' })).toEqual({ errors: { f: ['Must be a valid boolean.'] } });
    expect(parse(f, { f: null })).toEqual({ errors: { f: ['This field may not be null.'] } });
  });

  it('CharField trims, counts characters, and rejects non-strings', () => {
    const f = wrap(char({ maxLength: 3 }));
    expect(parse(f, { f: '  abc  ' })).toEqual({ ok: { f: 'abc' } });
    expect(parse(f, { f: 12 })).toEqual({ ok: { f: '12' } });
    expect(parse(f, { f: 'abcd' })).toEqual({ errors: { f: ['Ensure this field has no more than 3 characters.'] } });
    expect(parse(f, { f: '' })).toEqual({ errors: { f: ['This field may not be blank.'] } });
    expect(parse(f, { f: '\ud800' })).toEqual({ errors: { f: ['Surrogate characters are not allowed: U+D800.'] } });
  });

  it('ChoiceField quotes the input', () => {
    expect(parse(wrap(choice(['a', 'b'])), { f: 3 })).toEqual({ errors: { f: ['"3" is not a valid choice.'] } });
    expect(parse(wrap(choice(['a', 'b'])), { f: true })).toEqual({ errors: { f: ['"True" is not a valid choice.'] } });
  });

  it('collects errors of every field, nested ones as dicts', () => {
    const schema = serializer({
      name: char({ maxLength: 2 }).optional(),
      limit: serializer({ count: integer().optional(), window: integer({ max: 10 }).optional() }).optional(),
    });
    expect(parse(schema, { name: 'abc', limit: { count: 'x', window: 11 }, extra: 1 })).toEqual({
      errors: {
        name: ['Ensure this field has no more than 2 characters.'],
        limit: { count: ['A valid integer is required.'], window: ['Ensure this value is less than or equal to 10.'] },
      },
    });
    expect(parse(schema, { limit: 5 })).toEqual({ errors: { limit: { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] } } });
    expect(parse(schema, { name: 'ab', unknown: true })).toEqual({ ok: { name: 'ab' } });
  });
});

describe('required fields and lists', () => {
  it('a field without .optional() is required, with DRF\'s message, beside other errors', () => {
    const s = serializer({ name: char({ maxLength: 3 }), age: integer().optional() });
    expect(parse(s, {})).toEqual({ errors: { name: ['This field is required.'] } });
    expect(parse(s, { age: 'x' })).toEqual({ errors: { name: ['This field is required.'], age: ['A valid integer is required.'] } });
    expect(parse(s, { name: 'abc' })).toEqual({ ok: { name: 'abc' } });
  });

  it('a pattern can carry its own message (Sentry\'s slug fields)', () => {
    const s = serializer({ slug: char({ pattern: /^[a-z]+$/, patternMessage: 'Enter a valid slug.' }).optional() });
    expect(parse(s, { slug: 'A B' })).toEqual({ errors: { slug: ['Enter a valid slug.'] } });
  });

  it('ListField: not a list, and an item error under its index', () => {
    const s = serializer({ tags: list(char()).optional() });
    expect(parse(s, { tags: ['a', ' b '] })).toEqual({ ok: { tags: ['a', 'b'] } });
    expect(parse(s, { tags: 'a' })).toEqual({ errors: { tags: ['Expected a list of items but got type "str".'] } });
    expect(parse(s, { tags: { a: 1 } })).toEqual({ errors: { tags: ['Expected a list of items but got type "dict".'] } });
    expect(parse(s, { tags: ['a', true] })).toEqual({ errors: { tags: { '1': ['Not a valid string.'] } } });
  });
});
