/**
 * How deeply a JSON text nests, found in one pass before it is parsed. JSON.parse of a deeply
 * nested document (a 1 MB `[[[[…`) costs far more than its size suggests and can exhaust the
 * stack; every JSON a request sends us is checked against MAX_JSON_DEPTH first.
 */

/** Deeper than any event, envelope header or management body legitimately nests. */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether it holds at most `max` opening brackets, and so cannot nest deeper than `max`: counted by
 * the engine's own search, far faster than the scan below (an envelope header holds a handful).
 */
function fewOpenings(json: string | Uint8Array, max: number): boolean {
  if (json.length <= max) return true;
  return typeof json === 'string'
    ? textCount(json, '{', max) + textCount(json, '[', max) <= max
    : byteCount(json, OPEN_OBJECT, max) + byteCount(json, OPEN_ARRAY, max) <= max;
}

/** How often `char` occurs, counted up to one past `limit`. */
function textCount(text: string, char: string, limit: number): number {
  let count = 0;
  for (let at = text.indexOf(char); at >= 0 && count <= limit; at = text.indexOf(char, at + 1)) count++;
  return count;
}

function byteCount(bytes: Uint8Array, byte: number, limit: number): number {
  let count = 0;
  for (let at = bytes.indexOf(byte); at >= 0 && count <= limit; at = bytes.indexOf(byte, at + 1)) count++;
  return count;
}

/** Whether the JSON text (or bytes) nests deeper than `max` arrays and objects, strings skipped. */
export function nestsDeeperThan(json: string | Uint8Array, max = MAX_JSON_DEPTH): boolean {
  if (fewOpenings(json, max)) return false;
  const isText = typeof json === 'string';
  const length = json.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = isText ? (json as string).charCodeAt(i) : (json as Uint8Array)[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
