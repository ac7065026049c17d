/**
 * Sentry's `tokenize_query` (S:src/sentry/search/utils.py): a list's `query` parameter split into
 * `key:value` filters and free text. "slug:acme web" → { slug: ["acme"], query: ["web"] }.
 */

/** `split_query_into_tokens`: whitespace separates tokens, except inside quotes or after "key:". */
export function splitQueryIntoTokens(query: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let quoted = false;
  let quoteType: string | undefined;
  let endOfPrevWord: string | undefined;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  for (let i = 0; i < query.length; i++) {
    const char = query[i] as string;
    const next = query[i + 1];
    token += char;
    if (next !== undefined && !isSpace(char) && isSpace(next)) endOfPrevWord = char;
    if (isSpace(char) && !quoted && endOfPrevWord !== ':') {
      if (token.trim() !== '') {
        tokens.push(trimSpaces(token));
        token = '';
      }
    }
    if (char === "'" || char === '"') {
      if (!quoted || quoteType === char) {
        quoted = !quoted;
        if (quoted) quoteType = char;
      }
    }
  }
  if (token.trim() !== '') tokens.push(trimSpaces(token));
  return tokens;
}

const trimSpaces = (s: string) => s.replace(/^ +| +$/g, '');

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/s.exec(value);
  return m ? (m[2] as string) : value;
}

export function tokenizeQuery(query: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
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
      add('query', token.replace(/^"+|"+$/g, ''));
      continue;
    }
    const idx = token.indexOf(':');
    add(unquote(token.slice(0, idx)), unquote(token.slice(idx + 1)));
  }
  return result;
}
