/**
 * The DSN endpoints (relay-server endpoints/*.rs): their paths, how each reads its body, what it
 * answers on success and how many error-category events a request counts against a key's quota.
 * Payloads are checked only as far as Relay checks them before queueing.
 */
import { randomUUID } from 'node:crypto';
import { nestsDeeperThan } from '../domain/json-depth.ts';
import { inflateEither } from './body.ts';
import { ingestFailure, type IngestFailure } from './errors.ts';
import { itemQuantities, type Quantities } from '../domain/data-categories.ts';
import { errorEventCount, normaliseEventId, parseEnvelope, type Envelope } from '../domain/envelope.ts';
import { multipartBoundary, parseMultipart } from './multipart.ts';

/** How a successful request is answered. */
export type SuccessKind =
  | 'id' // 200 {"id": "<event id>"} ({} without one), envelope and store
  | 'empty' // 200 with no body, security reports
  | 'text-id' // 200 text: the hyphenated event id, what minidump/unreal clients read
  | 'accepted' // 202, cron check-ins
  | 'created'; // 201, attachments

export interface ReadInput {
  body: Buffer;
  contentType: string | undefined;
  /** The raw query string, parsed only by the endpoints that read it. */
  query: string;
  params: Record<string, string | undefined>;
  /** The body limit, which also bounds what a body inflates to (Relay answers 413 beyond it). */
  maxBytes: number;
}

/** What is kept of an envelope's item types and SDK name (recent events): a bounded list and length. */
export const MAX_ITEM_TYPES = 32;
export const MAX_ITEM_TYPE_LENGTH = 64;
export const MAX_SDK_LENGTH = 128;

export interface ReadBody {
  ok: true;
  /** Error-category events in the request: what the key's quota and stats count. */
  quantity: number;
  eventId: string | undefined;
  itemTypes: string[];
  /** The event JSON, for the recent-events summary. */
  event: Buffer | undefined;
  sdk: string | undefined;
  /** Relay's data categories and quantities of what the request carries (rate limits apply per category). */
  quantities: Quantities;
  /** The parsed envelope, for requests that are one. */
  envelope: Envelope | undefined;
}

export interface IngestEndpoint {
  name: string;
  paths: string[];
  methods: readonly ('POST' | 'GET')[];
  success: SuccessKind;
  /** The envelope header's `dsn` may stand in for missing request auth. */
  envelopeAuth: boolean;
  /** Relay answers this endpoint 202 even when rate limited (cron). */
  neverRateLimited: boolean;
  /** A promise only when reading must wait (the store endpoint's zlib bodies). */
  read(input: ReadInput): ReadBody | IngestFailure | Promise<ReadBody | IngestFailure>;
}

const newEventId = () => randomUUID().replaceAll('-', '');

function sdkOf(header: Record<string, unknown>): string | undefined {
  const sdk = header.sdk as { name?: unknown; version?: unknown } | undefined;
  if (typeof sdk?.name !== 'string') return undefined;
  return `${sdk.name}${typeof sdk.version === 'string' ? `/${sdk.version}` : ''}`.slice(0, MAX_SDK_LENGTH);
}

function itemTypesOf(envelope: Envelope): string[] {
  const types: string[] = [];
  for (const item of envelope.items) {
    if (types.length === MAX_ITEM_TYPES) break;
    types.push(item.type.slice(0, MAX_ITEM_TYPE_LENGTH));
  }
  return types;
}

function fromEnvelope(envelope: Envelope, body: Buffer): ReadBody {
  const eventItem = envelope.items.find((i) => i.type === 'event' || i.type === 'transaction');
  return {
    ok: true,
    quantity: errorEventCount(envelope),
    eventId: envelope.eventId,
    itemTypes: itemTypesOf(envelope),
    event: eventItem ? body.subarray(eventItem.payloadStart, eventItem.payloadEnd) : undefined,
    sdk: sdkOf(envelope.headers),
    quantities: envelopeQuantities(envelope),
    envelope,
  };
}

/** Every item's categories, summed per category. */
export function envelopeQuantities(envelope: Envelope): Quantities {
  const totals = new Map<string, number>();
  for (const item of envelope.items) {
    for (const [category, quantity] of itemQuantities({ type: item.type, itemCount: item.itemCount, length: item.payloadEnd - item.payloadStart, contentType: item.contentType })) {
      totals.set(category, (totals.get(category) ?? 0) + quantity);
    }
  }
  return [...totals];
}

function readEnvelope({ body }: ReadInput): ReadBody | IngestFailure {
  if (body.length === 0) return ingestFailure('empty_body');
  const parsed = parseEnvelope(body);
  if (!parsed.ok) return ingestFailure('invalid_envelope', { causes: [parsed.cause] });
  return fromEnvelope(parsed.envelope, body);
}

const TOO_DEEP = () => ingestFailure('invalid_json', { causes: ['the JSON nests too deeply'] });

function parseJsonObject(data: Buffer): { ok: true; value: Record<string, unknown> } | IngestFailure {
  if (nestsDeeperThan(data)) return TOO_DEEP();
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
    return ingestFailure('invalid_json', { causes: ['expected a JSON object'] });
  } catch (error) {
    return ingestFailure('invalid_json', { causes: [(error as Error).message] });
  }
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/**
 * Relay's `decode_bytes`: JSON as is, else base64 of JSON or of zlib-compressed JSON (old SDKs),
 * inflated off the event loop to at most the body limit (413 beyond, as Relay).
 */
function decodeStoreBody(body: Buffer, maxBytes: number): Buffer | IngestFailure | Promise<Buffer | IngestFailure> {
  if (body[0] === 0x7b) return body;
  const text = body.toString('latin1').trim();
  if (!BASE64.test(text)) return ingestFailure('invalid_body', { causes: ['not JSON, nor base64'] });
  const binary = Buffer.from(text, 'base64');
  if (binary[0] === 0x7b) return binary;
  return inflateEither(binary, maxBytes).catch((error: unknown) =>
    (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? ingestFailure('too_large', { causes: [`the decompressed body exceeds ${maxBytes} bytes`] })
      : ingestFailure('invalid_body', { causes: ['cannot inflate the base64 body'] }),
  );
}

function readStore(input: ReadInput): ReadBody | IngestFailure | Promise<ReadBody | IngestFailure> {
  if (input.body.length === 0) return ingestFailure('empty_body');
  if (/^application\/x-sentry-envelope/i.test(input.contentType ?? '')) return readEnvelope(input);
  const data = decodeStoreBody(input.body, input.maxBytes);
  return data instanceof Promise ? data.then(storeEvent) : storeEvent(data);
}

function storeEvent(data: Buffer | IngestFailure): ReadBody | IngestFailure {
  if (!Buffer.isBuffer(data)) return data;
  const event = parseJsonObject(data);
  if (!event.ok) return event;
  const eventId = normaliseEventId(event.value.event_id);
  if (eventId === null) return ingestFailure('invalid_json', { causes: ['invalid event id'] });
  return { ok: true, quantity: 1, eventId: eventId ?? newEventId(), itemTypes: ['event'], event: data, sdk: undefined, quantities: [['error', 1]], envelope: undefined };
}

/** Security reports (CSP, Expect-CT, HPKP, Expect-Staple): one event each, as raw_security items. */
function readSecurity({ body }: ReadInput): ReadBody | IngestFailure {
  if (body.length === 0) return ingestFailure('empty_body');
  return { ok: true, quantity: 1, eventId: newEventId(), itemTypes: ['raw_security'], event: undefined, sdk: undefined, quantities: [['security', 1]], envelope: undefined };
}

/** Network Error Logging: a JSON array of reports, each becoming an event. */
function readNel({ body }: ReadInput): ReadBody | IngestFailure {
  if (body.length === 0) return ingestFailure('empty_body');
  if (nestsDeeperThan(body)) return TOO_DEEP();
  let reports: unknown;
  try {
    reports = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return ingestFailure('invalid_json', { causes: [(error as Error).message] });
  }
  const count = Array.isArray(reports) ? reports.length : 1;
  return { ok: true, quantity: count, eventId: undefined, itemTypes: Array(Math.min(count, MAX_ITEM_TYPES)).fill('nel'), event: undefined, sdk: undefined, quantities: [], envelope: undefined };
}

/** Raw minidumps begin with MDMP (or PMDM); Relay also takes them gzip, zstd, bzip2 or xz compressed. */
const MINIDUMP_MAGIC = [Buffer.from('MDMP'), Buffer.from('PMDM'), Buffer.from([0x1f, 0x8b]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from('BZh'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])];
const looksLikeMinidump = (data: Buffer) => MINIDUMP_MAGIC.some((magic) => data.subarray(0, magic.length).equals(magic));

/** Crashpad/Breakpad uploads: multipart with `upload_file_minidump`, or the raw minidump. */
function readMinidump({ body, contentType }: ReadInput): ReadBody | IngestFailure {
  if (body.length === 0) return ingestFailure('empty_body');
  const boundary = multipartBoundary(contentType);
  if (!boundary) {
    if (!looksLikeMinidump(body)) return ingestFailure('invalid_minidump');
    return { ok: true, quantity: 1, eventId: newEventId(), itemTypes: ['attachment'], event: undefined, sdk: undefined, quantities: crashQuantities(body.length), envelope: undefined };
  }
  const parts = parseMultipart(body, boundary);
  if (!parts) return ingestFailure('invalid_multipart');
  const minidump = parts.find((p) => p.name === 'upload_file_minidump');
  if (!minidump) return ingestFailure('missing_minidump');
  if (!looksLikeMinidump(minidump.data)) return ingestFailure('invalid_minidump');
  let eventId: string | null | undefined;
  const idField = parts.find((p) => p.name === 'sentry[event_id]');
  if (idField) eventId = normaliseEventId(idField.data.toString('utf8'));
  const sentry = parts.find((p) => p.name === 'sentry');
  if (eventId === undefined && sentry) {
    const json = parseJsonObject(sentry.data);
    if (json.ok) eventId = normaliseEventId(json.value.event_id);
  }
  if (eventId === null) return ingestFailure('invalid_multipart', { causes: ['invalid event id'] });
  return { ok: true, quantity: 1, eventId: eventId ?? newEventId(), itemTypes: ['attachment'], event: undefined, sdk: undefined, quantities: crashQuantities(minidump.data.length), envelope: undefined };
}

/** Bodies Relay wraps into one crash event without looking further (unreal, playstation). */
function crashReport(itemType: string) {
  return ({ body }: ReadInput): ReadBody | IngestFailure => {
    if (body.length === 0) return ingestFailure('empty_body');
    return { ok: true, quantity: 1, eventId: newEventId(), itemTypes: [itemType], event: undefined, sdk: undefined, quantities: crashQuantities(body.length), envelope: undefined };
  };
}

/** A crash report becomes an error event with its dump attached. */
const crashQuantities = (bytes: number): Quantities => [['error', 1], ['attachment', Math.max(1, bytes)], ['attachment_item', 1]];

/** Attachments to an event sent before: authenticated and counted as requests only. */
function readAttachment({ body }: ReadInput): ReadBody {
  return { ok: true, quantity: 0, eventId: undefined, itemTypes: ['attachment'], event: undefined, sdk: undefined, quantities: [['attachment', Math.max(1, body.length)], ['attachment_item', 1]], envelope: undefined };
}

/**
 * OTLP over HTTP (relay-server endpoints/integrations/otlp.rs): JSON or protobuf, any other
 * content type a bare 415; the spans and logs are not error events, so they count as requests only.
 */
function readOtlp({ contentType }: ReadInput): ReadBody | IngestFailure {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-protobuf') return ingestFailure('unsupported_media_type');
  // How many spans or logs it carries is only known by parsing it, which the backend does.
  return { ok: true, quantity: 0, eventId: undefined, itemTypes: ['otlp'], event: undefined, sdk: undefined, quantities: [], envelope: undefined };
}

const CHECK_IN_STATUSES = new Set(['in_progress', 'ok', 'error']);

/** `/cron/{slug}/?status=…`: a check-in from the query string alone (relay endpoints/monitor.rs). */
function readCheckIn({ query }: ReadInput): ReadBody | IngestFailure {
  const status = new URLSearchParams(query).get('status');
  if (status === null) return ingestFailure('invalid_query', { causes: ['missing field `status`'] });
  if (!CHECK_IN_STATUSES.has(status)) return ingestFailure('invalid_query', { causes: [`unknown check-in status "${status}"`] });
  return { ok: true, quantity: 0, eventId: undefined, itemTypes: ['check_in'], event: undefined, sdk: undefined, quantities: [['monitor', 1]], envelope: undefined };
}

/** Relay's `normpath`: every path is served with and without its trailing slash. */
function both(...paths: string[]): string[] {
  return paths.flatMap((p) => [p, p.replace(/\/$/, '')]);
}

const POST = ['POST'] as const;

export const INGEST_ENDPOINTS: readonly IngestEndpoint[] = [
  { name: 'envelope', paths: both('/api/:project_id/envelope/'), methods: POST, success: 'id', envelopeAuth: true, neverRateLimited: false, read: readEnvelope },
  { name: 'store', paths: both('/api/:project_id/store/', '/api/store/'), methods: POST, success: 'id', envelopeAuth: false, neverRateLimited: false, read: readStore },
  { name: 'security', paths: both('/api/:project_id/security/', '/api/:project_id/csp-report/'), methods: POST, success: 'empty', envelopeAuth: false, neverRateLimited: false, read: readSecurity },
  { name: 'nel', paths: both('/api/:project_id/nel/'), methods: POST, success: 'empty', envelopeAuth: false, neverRateLimited: false, read: readNel },
  { name: 'minidump', paths: both('/api/:project_id/minidump/'), methods: POST, success: 'text-id', envelopeAuth: false, neverRateLimited: false, read: readMinidump },
  { name: 'unreal', paths: both('/api/:project_id/unreal/:sentry_key/'), methods: POST, success: 'text-id', envelopeAuth: false, neverRateLimited: false, read: crashReport('unreal_report') },
  { name: 'playstation', paths: both('/api/:project_id/playstation/'), methods: POST, success: 'text-id', envelopeAuth: false, neverRateLimited: false, read: crashReport('playstation') },
  { name: 'attachments', paths: both('/api/:project_id/events/:event_id/attachments/'), methods: POST, success: 'created', envelopeAuth: false, neverRateLimited: false, read: readAttachment },
  {
    name: 'cron',
    paths: both('/api/:project_id/cron/:monitor_slug/', '/api/:project_id/cron/:monitor_slug/:sentry_key/'),
    methods: ['GET', 'POST'],
    success: 'accepted',
    envelopeAuth: false,
    neverRateLimited: true,
    read: readCheckIn,
  },
  {
    name: 'otlp',
    paths: both('/api/:project_id/otlp/v1/traces/', '/api/:project_id/integration/otlp/v1/traces/', '/api/:project_id/integration/otlp/v1/logs/'),
    methods: POST,
    // 200, not 202, since getsentry/relay#5645 (the OTLP spec's success status), with no body.
    success: 'empty',
    envelopeAuth: false,
    neverRateLimited: false,
    read: readOtlp,
  },
];
