import { describe, expect, it } from 'vitest';
import { tokenizeQuery } from '../src/domain/search-query.ts';

describe("Sentry's tokenize_query", () => {
  it.each([
    ['slug:acme web', { slug: ['acme'], query: ['web'] }],
    ['slug:a slug:b', { slug: ['a', 'b'] }],
    ['query:"two words" id:3', { query: ['two words'], id: ['3'] }],
    ['hello world', { query: ['hello', 'world'] }],
    ['!team:backend is_member:1', { '!team': ['backend'], is_member: ['1'] }],
    ['slug:a OR slug:b', { slug: ['a', 'b'] }],
    ['"quoted:text"', { query: ['quoted:text'] }],
    ['', {}],
  ])('%j', (query, tokens) => {
    expect(tokenizeQuery(query)).toEqual(tokens);
  });
});
