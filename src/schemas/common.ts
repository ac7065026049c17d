import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../http/errors.ts';

/** Sentry's error body: `{"detail": "…"}`, or DRF's field → messages dict for a 400. */
export const errorBody = z
  .union([z.object({ detail: z.string() }).passthrough(), z.record(z.string(), z.unknown()), z.string()])
  .meta({ id: 'Error' });

/** The OpenAPI responses of the listed errors, from the one error table. */
export function errorResponses(...codes: ErrorCode[]): Record<number, typeof errorBody> {
  const responses: Record<number, typeof errorBody> = {};
  for (const code of codes) {
    const status = ERRORS[code].status;
    responses[status] = errorBody.describe(
      codes
        .filter((c) => ERRORS[c].status === status)
        .map((c) => ERRORS[c].description)
        .join(' '),
    );
  }
  return responses;
}

/** A query parameter as Django reads it: the last value when repeated. */
export const queryParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v[v.length - 1] : v))
  .meta({ type: 'string' });

/** The `cursor` and `per_page` of every paginated list. */
export const pageQuery = {
  cursor: queryParam.optional().describe('A cursor from a previous response\'s Link header, "value:offset:is_prev".'),
  per_page: queryParam.optional().describe('Results per page, 1 to 100.'),
};

export const emptyBody = z.null().describe('No content.');
