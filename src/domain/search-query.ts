/**
 * Sentry's `tokenize_query` (S:src/sentry/search/utils.py): a list's `query` parameter split into
 * `key:value` filters and free text. "slug:acme web" → { slug: ["acme"], query: ["web"] }.
 */

/** `split_query_into_tokens`: whitespace separates tokens, except inside quotes or after "key:". */
export function splitQueryIntoTokens(query: string): string[] {
  const tokens: string[] = [];
  let token = '';
  // Whether the token holds anything but whitespace (Python's `token.strip() != ""`), kept as a
  // flag: stripping a growing token at every space made a long run of spaces quadratic.
  let hasContent = false;
  let quoted = false;
  let quoteType: string | undefined;
  let endOfPrevWord: string | undefined;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  for (let i = 0; i < query.length; i++) {
    const char = query[i] as string;
    const next = query[i + 1];
    token += char;
    const space = isSpace(char);
    if (!space) hasContent = true;
    if (next !== undefined && !space && isSpace(next)) endOfPrevWord = char;
    if (space && !quoted && endOfPrevWord !== ':') {
      if (hasContent) {
        tokens.push(trimSpaces(token));
        token = '';
        hasContent = false;
      }
    }
    if (char === "'" || char === '"') {
      if (!quoted || quoteType === char) {
        quoted = !quoted;
        if (quoted) quoteType = char;
      }
    }
  }
  if (hasContent) tokens.push(trimSpaces(token));
  return tokens;
}

/** Python's `strip(char)`, in one pass from each end (`/ +$/` is quadratic on a long inner run). */
function strip(s: string, char: string): string {
  const code = char.charCodeAt(0);
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === code) start++;
  while (end > start && s.charCodeAt(end - 1) === code) end--;
  return s.slice(start, end);
}

const trimSpaces = (s: string) => strip(s, ' ');

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/s.exec(value);
  return m ? (m[2] as string) : value;
}

export function tokenizeQuery(query: string): Record<string, string[]> {
  // No prototype: `__proto__:x` is a filter like any other, not Object.prototype.
  const result: Record<string, string[]> = Object.create(null);
  const add = (key: string, value: string) => (result[key] ??= []).push(value);
  for (const token of splitQueryIntoTokens(query)) {
    if (['OR', 'AND'].includes(token.toUpperCase()) || token.replace(/[()]/g, '') === '') continue;
    let isTag = false;
    for (let i = 0; i < token.length; i++) {
      const char = token[i];
      if (i === 0 && (char === '"' || char === "'" || char === ':')) break;
      if (char === ':') {
        const next = token[i + 1];
        isTag = !(next === ':' || next === ' ');
        break;
      }
    }
    if (!isTag) {
      add('query', strip(token, '"'));
      continue;
    }
    const idx = token.indexOf(':');
    add(unquote(token.slice(0, idx)), unquote(token.slice(idx + 1)));
  }
  return result;
}

/** What each `key:` of a list's `query` adds to that list's filter. */
export type SearchKeys<F> = Readonly<Record<string, (values: string[]) => F>>;

/**
 * A list's `query` parameter read into its filter, as Sentry's list endpoints read it: each key by
 * its reader in `keys` (free text comes as the key `query`); a key with no reader adds
 * `matchNothing`, which makes the list empty.
 */
export function searchFilter<F extends object>(query: string | undefined, keys: SearchKeys<F>, matchNothing: F): F {
  const filter = {} as F;
  for (const [key, values] of Object.entries(query ? tokenizeQuery(query) : {})) {
    const read = Object.hasOwn(keys, key) ? keys[key] : undefined;
    Object.assign(filter, read ? read(values) : matchNothing);
  }
  return filter;
}
