/**
 * The latest accepted requests of each project, so an operator can see that a DSN works. Kept in
 * memory on the hot path (a few fields and at most 64 KiB of the event), summarised and written to
 * the database with the stats, where each project keeps its newest RECENT_EVENTS_PER_PROJECT.
 */
import { isoMicros } from '../domain/time.ts';
import type { NewRecentEvent } from '../storage/schema.ts';
import type { RecentEventStore } from '../storage/stores/recent-events.ts';

export const RECENT_EVENTS_PER_PROJECT = 100;
/**
 * Every field a request chooses is cut to a bound (item types and SDK names in endpoints.ts), so a
 * row stays under 4 KB and a project's recent events under 400 KB, whatever its SDKs send.
 */
export const MAX_TITLE_LENGTH = 200;
export const MAX_PLATFORM_LENGTH = 64;
export const MAX_LEVEL_LENGTH = 32;
const MAX_SUMMARY_BYTES = 64 * 1024;
const WRITE_CHUNK = 20;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface RecentEventInput {
  projectId: number;
  publicKey: string;
  eventId: string | undefined;
  endpoint: string;
  itemTypes: string[];
  size: number;
  sdk: string | undefined;
  /** The event's JSON, when the request carried one, to take a title from. */
  event: Buffer | undefined;
  /** Unix milliseconds. */
  receivedAt: number;
}

/** As recorded on the hot path; formatted (date, title) only when read or written. */
interface Pending {
  input: RecentEventInput;
  event: Buffer | undefined;
}

export interface EventSummary {
  platform: string | null;
  level: string | null;
  title: string | null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A title as Sentry shows one: the last exception's type and value, else the message. */
export function summarise(event: Buffer | undefined): EventSummary {
  if (!event) return { platform: null, level: null, title: null };
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(event.toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return { platform: null, level: null, title: null };
    json = parsed as Record<string, unknown>;
  } catch {
    return { platform: null, level: null, title: null };
  }
  let title: string | undefined;
  const exception = json.exception as { values?: unknown } | undefined;
  const values = Array.isArray(exception?.values) ? exception.values : Array.isArray(exception) ? exception : [];
  const last = values[values.length - 1] as { type?: unknown; value?: unknown } | undefined;
  if (last) title = [text(last.type), text(last.value)].filter(Boolean).join(': ') || undefined;
  if (!title) {
    const message = json.message as unknown;
    const logentry = (json.logentry ?? json['sentry.interfaces.Message']) as { formatted?: unknown; message?: unknown } | undefined;
    title =
      text(message) ??
      text((message as { formatted?: unknown } | undefined)?.formatted) ??
      text(logentry?.formatted) ??
      text(logentry?.message) ??
      text(json.transaction) ??
      text(json.culprit);
  }
  return {
    platform: text(json.platform)?.slice(0, MAX_PLATFORM_LENGTH) ?? null,
    level: text(json.level)?.slice(0, MAX_LEVEL_LENGTH) ?? null,
    title: title ? title.slice(0, MAX_TITLE_LENGTH) : null,
  };
}

export class RecentEvents {
  private pending = new Map<number, Pending[]>();

  constructor(private readonly store: RecentEventStore) {}

  record(input: RecentEventInput): void {
    let list = this.pending.get(input.projectId);
    if (!list) {
      list = [];
      this.pending.set(input.projectId, list);
    }
    list.push({ input, event: retainable(input.event) });
    // Older ones would be trimmed on write anyway.
    if (list.length > RECENT_EVENTS_PER_PROJECT) list.shift();
  }

  /** This instance's unwritten events of a project, newest first, summarised. */
  unwritten(projectId: number): NewRecentEvent[] {
    return (this.pending.get(projectId) ?? []).map(complete).reverse();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    for (const [projectId, list] of batch) {
      // SQLite writes block the event loop: small statements with a turn of it in between keep
      // requests flowing (and their latency low) while a flush runs.
      for (let start = 0; start < list.length; start += WRITE_CHUNK) {
        await this.store.insertMany(list.slice(start, start + WRITE_CHUNK).map(complete));
        await yieldToRequests();
      }
      await this.store.trim(projectId, RECENT_EVENTS_PER_PROJECT);
      await yieldToRequests();
    }
  }
}

/**
 * What of the event to keep until the next write. A slice of a small body is kept as it is (it
 * keeps that body alive, at most RECENT_EVENTS_PER_PROJECT × MAX_SUMMARY_BYTES per project for a
 * few seconds), which spares the hot path an allocation and a copy; a slice of a large body is
 * copied so the large body can go; a large event is not summarised.
 */
function retainable(event: Buffer | undefined): Buffer | undefined {
  if (!event || event.length > MAX_SUMMARY_BYTES) return undefined;
  return event.buffer.byteLength <= MAX_SUMMARY_BYTES ? event : Buffer.from(event);
}

function complete({ input, event }: Pending): NewRecentEvent {
  return {
    project_id: input.projectId,
    public_key: input.publicKey,
    event_id: input.eventId ?? null,
    received_at: isoMicros(BigInt(input.receivedAt) * 1000n),
    endpoint: input.endpoint,
    item_types: JSON.stringify(input.itemTypes),
    size: input.size,
    sdk: input.sdk ?? null,
    ...summarise(event),
  };
}
