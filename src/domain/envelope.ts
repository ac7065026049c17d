/**
 * Just enough of Sentry's envelope format (https://develop.sentry.dev/sdk/envelopes/) to gate it:
 * the header line, each item's header, where payloads start and end. Payloads are not
 * interpreted here. Every header is checked for depth before JSON.parse sees it, and the envelope
 * header (read for its `dsn` before the key is known) for size too.
 */
import { nestsDeeperThan } from './json-depth.ts';

export interface EnvelopeItem {
  type: string;
  /** `attachment_type` of attachments (e.g. "event.minidump"). */
  attachmentType: string | undefined;
  /** `item_count` of item containers (logs, spans, trace metrics). */
  itemCount: number | undefined;
  /** `content_type`, which names the integration of `integration` items. */
  contentType: string | undefined;
  /** Where the item's header line starts: an item is `body[headerStart, payloadEnd]` plus its newline. */
  headerStart: number;
  payloadStart: number;
  payloadEnd: number;
}

export interface Envelope {
  headers: Record<string, unknown>;
  /** Where the header line ends (its newline, or the body's end). */
  headerEnd: number;
  /** Normalised to 32 lowercase hex characters, as Relay's EventId serialises. */
  eventId: string | undefined;
  items: EnvelopeItem[];
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; cause: string };

const NEWLINE = 0x0a;
/** Far more than event_id, dsn, sdk, sent_at and a trace context take; a longer header line is refused. */
export const MAX_ENVELOPE_HEADER_BYTES = 64 * 1024;
const UUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** Relay's EventId: a UUID in simple or hyphenated form, emitted as 32 lowercase hex. */
export function normaliseEventId(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !UUID.test(value)) return null;
  return value.replaceAll('-', '').toLowerCase();
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (nestsDeeperThan(text)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function lineEnd(body: Buffer, from: number): number {
  const end = body.indexOf(NEWLINE, from);
  return end < 0 ? body.length : end;
}

/** The first line as a JSON object, for the envelope-header DSN; undefined when it is not one. */
export function envelopeHeader(body: Buffer): Record<string, unknown> | undefined {
  const length = lineEnd(body, 0);
  if (length > MAX_ENVELOPE_HEADER_BYTES) return undefined;
  return parseObject(body.toString('utf8', 0, length));
}

export function parseEnvelope(body: Buffer): EnvelopeResult {
  const headerEnd = lineEnd(body, 0);
  if (headerEnd === 0) return { ok: false, cause: 'missing envelope header' };
  if (headerEnd > MAX_ENVELOPE_HEADER_BYTES) return { ok: false, cause: 'envelope header too large' };
  const headers = parseObject(body.toString('utf8', 0, headerEnd));
  if (!headers) return { ok: false, cause: 'invalid envelope header' };
  const eventId = normaliseEventId(headers.event_id);
  if (eventId === null) return { ok: false, cause: 'invalid envelope header' };

  const items: EnvelopeItem[] = [];
  let offset = headerEnd + 1;
  while (offset < body.length) {
    const end = lineEnd(body, offset);
    // Blank lines between items are tolerated, as by Relay.
    if (end === offset) {
      offset += 1;
      continue;
    }
    const itemHeader = parseObject(body.toString('utf8', offset, end));
    if (!itemHeader || typeof itemHeader.type !== 'string') return { ok: false, cause: 'invalid item header' };
    const payloadStart = end + 1;
    let payloadEnd: number;
    const length = itemHeader.length;
    if (length !== undefined && length !== null) {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) return { ok: false, cause: 'invalid item header' };
      payloadEnd = payloadStart + length;
      if (payloadEnd > body.length) return { ok: false, cause: 'unexpected end of file' };
    } else {
      payloadEnd = payloadStart > body.length ? body.length : lineEnd(body, payloadStart);
    }
    const itemCount = itemHeader.item_count;
    items.push({
      type: itemHeader.type,
      attachmentType: typeof itemHeader.attachment_type === 'string' ? itemHeader.attachment_type : undefined,
      itemCount: typeof itemCount === 'number' && Number.isInteger(itemCount) && itemCount >= 0 ? itemCount : undefined,
      contentType: typeof itemHeader.content_type === 'string' ? itemHeader.content_type : undefined,
      headerStart: offset,
      payloadStart: Math.min(payloadStart, body.length),
      payloadEnd,
    });
    offset = payloadEnd + 1;
  }
  return { ok: true, envelope: { headers, eventId, items, headerEnd } };
}

/** Item types that become an error-category event (default, error, security), which key quotas count. */
const EVENT_ITEMS = new Set(['event', 'security', 'raw_security', 'nel', 'unreal_report']);
const CRASH_ATTACHMENTS = new Set(['event.minidump', 'event.applecrashreport', 'unreal.context', 'unreal.logs']);

/**
 * How many error-category events the envelope carries: what a key's quota counts. Relay's key
 * quota covers the error categories only (Sentry's `DataCategory.error_categories()`), so an
 * envelope of sessions, transactions or client reports is neither limited nor counted by it.
 */
export function errorEventCount(envelope: Envelope): number {
  let events = 0;
  let crashes = 0;
  for (const item of envelope.items) {
    if (EVENT_ITEMS.has(item.type)) events += 1;
    else if (item.type === 'attachment' && item.attachmentType && CRASH_ATTACHMENTS.has(item.attachmentType)) crashes = 1;
  }
  return events > 0 ? events : crashes;
}
