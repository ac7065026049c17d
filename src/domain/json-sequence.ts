/**
 * Several JSON documents one after another (`[…][…]`, or one per line), as appending the pages of
 * a paginated API to one file leaves them. Each document is parsed by JSON.parse; this only finds
 * where one ends and the next begins.
 */
export function parseJsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] as string)) i++;
    if (i >= n) break;
    const start = i;
    const first = text[i] as string;
    if (first === '[' || first === '{') {
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
      }
    } else {
      // A scalar document: up to the next whitespace (JSON.parse reports anything malformed).
      while (i < n && !/\s/.test(text[i] as string)) i++;
    }
    values.push(JSON.parse(text.slice(start, i)));
  }
  return values;
}
