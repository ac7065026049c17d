/**
 * Every refusal of the ingest endpoints, in one table, with Relay's status and message
 * (relay-server: extractors/request_meta.rs BadEventMeta, endpoints/common.rs BadStoreRequest).
 * Ingest answers in Relay's shape, `{"detail": "...", "causes": [...]}` with `causes` left out
 * when empty; `IngestHandler.refuse` in routes/ingest-handler.ts is the one place that writes it.
 */
import type { IngestKey } from './key-cache.ts';

interface IngestErrorSpec {
  status: number;
  detail: string;
  /** The metrics reason label. */
  reason: string;
  /** Relay answers the status alone, with no body. */
  bodyless?: boolean;
}

export const INGEST_ERRORS = {
  // BadEventMeta
  missing_auth: { status: 401, detail: 'missing authorization information', reason: 'missing_auth' },
  multiple_auth: { status: 401, detail: 'multiple authorization payloads detected', reason: 'multiple_auth' },
  bad_auth: { status: 401, detail: 'bad x-sentry-auth header', reason: 'bad_auth' },
  bad_envelope_auth: { status: 401, detail: 'bad envelope authentication header', reason: 'bad_envelope_auth' },
  bad_project: { status: 400, detail: 'bad project path parameter', reason: 'bad_project' },
  bad_public_key: { status: 400, detail: 'bad sentry DSN public key', reason: 'bad_public_key' },
  unsupported_version: { status: 400, detail: 'unsupported protocol version', reason: 'unsupported_version' },
  // BadStoreRequest
  empty_body: { status: 400, detail: 'empty request body', reason: 'empty_body' },
  invalid_body: { status: 400, detail: 'invalid request body', reason: 'invalid_body' },
  invalid_json: { status: 400, detail: 'invalid JSON data', reason: 'invalid_json' },
  invalid_envelope: { status: 400, detail: 'invalid event envelope', reason: 'invalid_envelope' },
  invalid_multipart: { status: 400, detail: 'invalid multipart data', reason: 'invalid_multipart' },
  invalid_minidump: { status: 400, detail: 'invalid minidump', reason: 'invalid_minidump' },
  missing_minidump: { status: 400, detail: 'missing minidump', reason: 'missing_minidump' },
  invalid_query: { status: 400, detail: 'invalid query string', reason: 'invalid_query' },
  too_large: { status: 413, detail: 'request body too large', reason: 'too_large' },
  // The OTLP integration's own refusal: a bare status (relay-server endpoints/integrations/otlp.rs).
  unsupported_media_type: { status: 415, detail: 'unsupported media type', reason: 'unsupported_media_type', bodyless: true },
  rejected: { status: 403, detail: 'event submission rejected with_reason: ProjectId', reason: 'project_id' },
  origin_not_allowed: { status: 403, detail: 'event submission rejected with_reason: Cors', reason: 'cors' },
  // A key's IP rules (clientkeys): Relay filters by address only after the fact (FilterStatKey::IpAddress).
  ip_not_allowed: { status: 403, detail: 'event submission rejected with_reason: IpAddress', reason: 'ip' },
  // BadStoreRequest::QueueFailed: the delivery queue cannot take it (full: SPOOL_MAX_BYTES; or the
  // database cannot be written). Never accepted and then dropped.
  queue_full: { status: 503, detail: 'failed to queue envelope', reason: 'queue_full' },
  queue_unavailable: { status: 503, detail: 'failed to queue envelope', reason: 'queue_unavailable' },
  rate_limited: {
    status: 429,
    detail:
      'Sentry dropped data due to a quota or internal rate limit being reached. This will not affect your application. See https://docs.sentry.io/product/accounts/quotas/ for more information.',
    reason: 'key_quota',
  },
} as const satisfies Record<string, IngestErrorSpec>;

export type IngestErrorCode = keyof typeof INGEST_ERRORS;

/** A refusal as a value: its code, the causes Relay lists under it, and the headers it carries. */
export interface IngestFailure {
  ok: false;
  code: IngestErrorCode;
  causes?: string[];
  /** Overrides the table's detail where Relay formats an argument into it. */
  detail?: string;
  headers?: Record<string, string>;
  /** Why, for the metrics when the code alone does not say (unknown, disabled, other project). */
  reason?: string;
  /** The project of the key, once known: the metrics' project label. */
  projectId?: number;
  /** The key, once known: its health counts the refusal. */
  key?: IngestKey;
}

export function ingestFailure(code: IngestErrorCode, extra: Omit<IngestFailure, 'ok' | 'code'> = {}): IngestFailure {
  return { ok: false, code, ...extra };
}

export function ingestErrorBody(failure: IngestFailure): { detail: string; causes?: string[] } {
  const detail = failure.detail ?? INGEST_ERRORS[failure.code].detail;
  return failure.causes && failure.causes.length > 0 ? { detail, causes: failure.causes } : { detail };
}
