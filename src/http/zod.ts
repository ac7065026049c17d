/**
 * Zod as Fastify's schema language: request schemas validate with DRF's messages
 * (see schemas/drf.ts), response schemas serialize (dropping anything unlisted), and both feed
 * the OpenAPI document.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { isBuiltBySerializers, writeJson } from '../schemas/built-by-serializers.ts';
import { toDrfErrors } from '../schemas/drf.ts';
import { RequestValidationError } from './error-handler.ts';

export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(toDrfErrors(result.error.issues)) };
  };

type SerializerCompiler = typeof zodSerializerCompiler;

/**
 * zod's encode for every answer, but for those a serializer builds, JSON.stringify or the bytes the
 * serializer made (see built-by-serializers.ts). Fastify sends a Buffer as it is.
 */
export const serializerCompiler: SerializerCompiler = (route) =>
  isBuiltBySerializers(route.schema) ? (writeJson as (data: unknown) => string) : zodSerializerCompiler(route);
