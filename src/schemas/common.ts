import { z } from 'zod';

/** A query parameter as Django reads it: the last value when repeated. */
export const queryParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v[v.length - 1] : v))
  .meta({ type: 'string' });

/** A query parameter that may be given several times: every value, in order. */
export const repeated = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

/** The `cursor` and `per_page` of every paginated list. */
export const pageQuery = {
  cursor: queryParam.optional().describe('A cursor from a previous response\'s Link header, "value:offset:is_prev".'),
  per_page: queryParam.optional().describe('Results per page, 1 to 100.'),
};

export const emptyBody = z.null().describe('No content.');
