/**
 * Every error clientkeys answers with, in one table: its status and Sentry's body. Routes and
 * guards throw `ApiError`s built from this table; `error-handler.ts` renders them, and the OpenAPI
 * document lists them from here too.
 */
import type { DrfErrors } from '../schemas/drf.ts';

interface ErrorSpec {
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

type DetailArg<C extends ErrorCode> = (typeof ERRORS)[C] extends { detail: (arg: string) => string } ? [arg: string] : [];

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    /** The JSON body, already in Sentry's shape. */
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : code);
  }
}

/** An error of the table with its standard `{"detail": …}` body. */
export function apiError<C extends ErrorCode>(code: C, ...args: DetailArg<C>): ApiError {
  const spec: ErrorSpec = ERRORS[code];
  const detail = typeof spec.detail === 'function' ? spec.detail(args[0] ?? '') : spec.detail;
  return new ApiError(code, spec.status, { detail: detail ?? code });
}

/** 400 with DRF's error dict, e.g. `{"name": ["Ensure this field has no more than 64 characters."]}`. */
export function validationError(errors: DrfErrors): ApiError {
  return new ApiError('validation', ERRORS.validation.status, errors);
}

/** Sentry answers a 401 with the first authenticator's challenge, whichever one failed. */
const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer realm="api"' };

export function authenticationFailed(message: string): ApiError {
  return new ApiError('authentication_failed', 401, { detail: message }, BEARER_CHALLENGE);
}

export function notAuthenticated(): ApiError {
  const error = apiError('not_authenticated');
  return new ApiError(error.code, error.status, error.body, BEARER_CHALLENGE);
}

/**
 * 403 for a token that holds none of the method's scopes, with RFC 6750's challenge naming them
 * (getsentry/sentry#118612). A denial at object level, or for a method without scopes, has no
 * challenge.
 */
export function insufficientScope(required: readonly string[]): ApiError {
  const error = apiError('permission_denied');
  // A method the scope map does not name (HEAD, PATCH…) has no scope to name: a plain 403.
  if (required.length === 0) return error;
  const scope = [...required].sort().join(' ');
  return new ApiError(error.code, error.status, error.body, {
    'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
  });
}

/**
 * ProjectEndpoint's answer for a renamed project's old slug (S:src/sentry/api/bases/project.py
 * `handle_exception_with_details`): 302 to the request's path and query with the new slug.
 */
export function projectMoved(url: string, slug: string): ApiError {
  return new ApiError('project_moved', 302, { slug, detail: { extra: { url, slug } } }, { location: url });
}

/** Sentry renders this one as a bare JSON string. */
export function invalidOrigin(origin: string): ApiError {
  return new ApiError('invalid_origin', 400, `Invalid origin: ${origin}`);
}

/** Sentry's organization project list reports bad parameters in this older envelope. */
function legacyParamError(code: 'invalid_stats_period' | 'invalid_id_query', message: string): ApiError {
  return new ApiError(code, 400, { error: { params: { stats_period: { message } } } });
}

export function invalidStatsPeriod(choices: string): ApiError {
  return legacyParamError('invalid_stats_period', `Invalid stats_period. Valid choices are ${choices}`);
}

export function invalidIdQuery(): ApiError {
  return legacyParamError('invalid_id_query', "All 'id' values must be integers.");
}

/** 409 for a taken team slug: DRF's non-field error and the detail, both (organization_teams.py). */
export function teamSlugExists(): ApiError {
  const detail = ERRORS.team_slug_exists.detail;
  return new ApiError('team_slug_exists', 409, { non_field_errors: [detail], detail });
}

/** Sentry answers an empty 400 here; clientkeys says why. */
export function userRequired(): ApiError {
  return apiError('user_required');
}
