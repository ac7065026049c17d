/**
 * Response schemas whose answers are built field by field, in the schema's order, by one of our
 * serializers (services/serializers/project-key.ts). Fastify writes them with JSON.stringify directly: zod's
 * encode of a page of 100 keys costs as much as building it (BENCHMARKS.md) and would only copy
 * what the serializer already made. test/response-serializer.test.ts proves the bytes are the same.
 *
 * A serializer may also hand over an answer with its JSON bytes already made (`withJsonBytes`):
 * a page of such answers is written by copying bytes, without encoding a string again.
 */
import type { ZodType } from 'zod';
import { deepFreeze } from '../domain/deep-freeze.ts';

const schemas = new WeakSet<object>();
const JSON_BYTES = Symbol('clientkeys.jsonBytes');

type WithBytes = { readonly [JSON_BYTES]: Buffer };

export function builtBySerializers<T extends ZodType>(schema: T): T {
  schemas.add(schema);
  return schema;
}

export function isBuiltBySerializers(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && schemas.has(schema);
}

/** Attach `value`'s JSON bytes and freeze it, deeply: such an answer is shared by every request that sends it. */
export function withJsonBytes<T extends object>(value: T): Readonly<T> {
  Object.defineProperty(value, JSON_BYTES, { value: Buffer.from(JSON.stringify(value)) });
  return deepFreeze(value);
}

function bytesOf(value: unknown): Buffer | undefined {
  return typeof value === 'object' && value !== null ? (value as Partial<WithBytes>)[JSON_BYTES] : undefined;
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/**
 * The last page written that began with a given answer: asked for again with the same answers,
 * it is sent as it is (a page is ~160 KB, fresh memory each time otherwise).
 */
const pages = new WeakMap<object, { items: readonly unknown[]; body: Buffer }>();

/** The body of an answer built by serializers: the bytes made before where every part has them, else JSON.stringify. */
export function writeJson(data: unknown): string | Buffer {
  const bytes = bytesOf(data);
  if (bytes) return bytes;
  if (!Array.isArray(data) || data.length === 0) return JSON.stringify(data);
  const first = data[0] as object;
  const page = pages.get(first);
  if (page && page.items.length === data.length && page.items.every((item, i) => item === data[i])) return page.body;
  const body = concatenate(data);
  if (body && bytesOf(first)) pages.set(first, { items: data.slice(), body });
  return body ?? JSON.stringify(data);
}

/** `[a,b,…]` from the parts' bytes; undefined when a part has none. */
function concatenate(data: readonly unknown[]): Buffer | undefined {
  const parts: Buffer[] = [];
  let length = data.length + 1;
  for (const item of data) {
    const part = bytesOf(item);
    if (!part) return undefined;
    parts.push(part);
    length += part.length;
  }
  const body = Buffer.allocUnsafe(length);
  body[0] = OPEN;
  let offset = 1;
  for (const part of parts) {
    if (offset > 1) body[offset++] = COMMA;
    offset += part.copy(body, offset);
  }
  body[offset] = CLOSE;
  return body;
}
