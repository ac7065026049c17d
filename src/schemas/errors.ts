/**
 * Every error clientkeys answers with, in one table: its status and Sentry's body. Routes and
 * guards throw `ApiError`s built from this table (src/http/errors.ts), the error handler renders
 * them, and the OpenAPI document lists them from here too. It is part of the contract, so it lives
 * with the schemas, which the HTTP layer reads and never the other way round.
 */
import { z } from 'zod';

export interface ErrorSpec {
  status: number;
  /** What the error means, for the OpenAPI document. */
  description: string;
  detail?: string | ((arg: string) => string);
}

export const ERRORS = {
  project_moved: {
    status: 302,
    description: "An old slug of a renamed project: Location is the same URL with the new slug (Sentry's ProjectMoved).",
  },
  validation: { status: 400, description: 'The request body is invalid (DRF error dict: field → messages).' },
  invalid_cursor: { status: 400, description: 'Bad cursor.', detail: 'Invalid cursor parameter.' },
  invalid_per_page: { status: 400, description: 'per_page is not an integer.', detail: 'Invalid per_page parameter.' },
  per_page_out_of_range: {
    status: 400,
    description: 'per_page outside 1..100.',
    detail: 'Invalid per_page value. Must be between 1 and 100.',
  },
  invalid_project_param: {
    status: 400,
    description: 'A project query parameter is not a number.',
    detail: 'Invalid project parameter. Values must be numbers.',
  },
  invalid_stats_period: {
    status: 400,
    description: 'statsPeriod is not one Sentry knows (legacy error envelope).',
  },
  invalid_id_query: { status: 400, description: "An id: filter that is not a number (legacy error envelope)." },
  invalid_team_id_query: { status: 400, description: 'An id: filter that is not a number.', detail: 'Invalid id value' },
  user_required: {
    status: 400,
    description: 'Only a user may do this; organization tokens and API keys may not.',
    detail: 'Only a user can change a project: organization auth tokens and API keys cannot.',
  },
  invalid_request_data: {
    status: 400,
    description: 'since, until or resolution is invalid (Sentry gives one message for every case).',
    detail: 'Invalid request data',
  },
  json_parse_error: { status: 400, description: 'The body is not valid JSON.', detail: (m) => `JSON parse error - ${m}` },
  multipart_parse_error: {
    status: 400,
    description: 'The multipart body cannot be read.',
    detail: (m) => `Multipart form parse error - ${m}`,
  },
  invalid_origin: { status: 400, description: 'The Origin is not allowed for this credential.' },
  not_authenticated: {
    status: 401,
    description: 'No credentials.',
    detail: 'Authentication credentials were not provided.',
  },
  authentication_failed: { status: 401, description: 'Credentials were given but are not valid.' },
  csrf_failed: {
    status: 403,
    description: "A signed-in browser's state-changing request without its CSRF token (X-CSRFToken), or from another origin.",
    detail: (reason) => `CSRF Failed: ${reason}`,
  },
  signin_failed: {
    status: 400,
    description: 'Sign-in refused: no such user, no password set, or a wrong password (the web page).',
    detail: 'Please enter a correct email and password. Note that the password is case-sensitive.',
  },
  signin_throttled: {
    status: 429,
    description: 'Too many sign-in attempts for this email address or from this address (the web page).',
    detail: 'You have made too many failed authentication attempts. Please try again later.',
  },
  permission_denied: {
    status: 403,
    description: 'The caller lacks the scope or the membership.',
    detail: 'You do not have permission to perform this action.',
  },
  not_found: { status: 404, description: 'No such resource.', detail: 'The requested resource does not exist' },
  team_not_found: { status: 404, description: 'No such team.', detail: 'Team not found' },
  method_not_allowed: { status: 405, description: 'Method not allowed.', detail: (m) => `Method "${m}" not allowed.` },
  key_already_rotating: {
    status: 409,
    description: 'The key is already being replaced: its overlap has not ended.',
    detail: (successor) => `This key is already being replaced by ${successor}; disable it to stop it now.`,
  },
  project_slug_exists: {
    status: 409,
    description: 'The slug is taken.',
    detail: 'A project with this slug already exists.',
  },
  team_slug_exists: {
    status: 409,
    description: 'The team slug is taken.',
    detail: 'A team with this slug already exists.',
  },
  payload_too_large: { status: 413, description: 'The body is too large.', detail: 'Request body is too large.' },
  request_timeout: { status: 408, description: 'The request took too long to arrive.', detail: 'Request timed out.' },
  headers_too_large: { status: 431, description: 'The URL or the headers are too large.', detail: 'Request header fields too large.' },
  malformed_request: { status: 400, description: 'Not a well-formed HTTP request.', detail: 'Malformed request.' },
  unsupported_media_type: {
    status: 415,
    description: 'The body has a content type the endpoint does not read.',
    detail: (t) => `Unsupported media type "${t}" in request.`,
  },
  rate_limited: { status: 429, description: 'Too many requests from this caller to this endpoint (the body is a JSON string).' },
  internal: { status: 500, description: 'An unexpected error.', detail: 'Internal Error' },
  unavailable: {
    status: 503,
    description: 'The database cannot be reached; retry shortly.',
    detail: 'The service is temporarily unavailable: the database cannot be reached. Retry shortly.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

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

