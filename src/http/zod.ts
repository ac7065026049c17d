/**
 * Zod as Fastify's schema language: request schemas validate with DRF's messages
 * (see schemas/drf.ts), response schemas serialize (dropping anything unlisted), and both feed
 * the OpenAPI document.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { toDrfErrors } from '../schemas/drf.ts';
import { RequestValidationError } from './error-handler.ts';

export const validatorCompiler: FastifySchemaCompiler<ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(toDrfErrors(result.error.issues)) };
  };

export { serializerCompiler };
