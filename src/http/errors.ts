/**
 * The errors routes and guards throw, built from the one table in src/schemas/errors.ts;
 * `error-handler.ts` renders them.
 */
import type { DrfErrors } from '../schemas/drf.ts';
import { ERRORS, type ErrorCode, type ErrorSpec } from '../schemas/errors.ts';

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
