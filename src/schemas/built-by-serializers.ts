/**
 * Response schemas whose answers are built field by field, in the schema's order, by one of our
 * serializers (services/key-serializer.ts). Fastify writes them with JSON.stringify directly: zod's
 * encode of a page of 100 keys costs as much as building it (BENCHMARKS.md) and would only copy
 * what the serializer already made. test/response-serializer.test.ts proves the bytes are the same.
 */
import type { ZodType } from 'zod';

const schemas = new WeakSet<object>();

export function builtBySerializers<T extends ZodType>(schema: T): T {
  schemas.add(schema);
  return schema;
}

export function isBuiltBySerializers(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && schemas.has(schema);
}
