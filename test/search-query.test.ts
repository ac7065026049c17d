import { describe, expect, it } from 'vitest';
import { searchFilter, tokenizeQuery, type SearchKeys } from '../src/domain/search-query.ts';

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

describe('searchFilter', () => {
  const keys: SearchKeys<{ text?: string; slugs?: string[]; none?: boolean }> = {
    query: (values) => ({ text: values.join(' ') }),
    slug: (values) => ({ slugs: values }),
  };

  it.each([
    [undefined, {}],
    ['', {}],
    ['slug:a web app slug:b', { text: 'web app', slugs: ['a', 'b'] }],
    ['slug:a color:red', { slugs: ['a'], none: true }],
    // Only the table's own keys: an inherited name is an unknown key like any other.
    ['constructor:x', { none: true }],
    ['__proto__:x', { none: true }],
  ])('%j', (query, filter) => {
    expect(searchFilter(query, keys, { none: true })).toEqual(filter);
  });
});
