/**
 * The latest accepted requests of a project (a clientkeys extension: Sentry has no such endpoint):
 * what this instance has not written yet, then what the database holds, newest first.
 */
import type { RecentEvents } from '../ingest/recent-events.ts';
import { RECENT_EVENTS_PER_PROJECT } from '../ingest/recent-events.ts';
import type { NewRecentEvent } from '../storage/schema.ts';
import type { RecentEventStore } from '../storage/stores/recent-events.ts';

export interface RecentEventJson {
  eventId: string | null;
  dateReceived: string;
  endpoint: string;
  publicKey: string;
  itemTypes: string[];
  size: number;
  sdk: string | null;
  platform: string | null;
  level: string | null;
  title: string | null;
}

function toJson(row: NewRecentEvent): RecentEventJson {
  let itemTypes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.item_types);
    if (Array.isArray(parsed)) itemTypes = parsed.filter((t): t is string => typeof t === 'string');
  } catch {
    itemTypes = [];
  }
  return {
    eventId: row.event_id ?? null,
    dateReceived: row.received_at,
    endpoint: row.endpoint,
    publicKey: row.public_key,
    itemTypes,
    size: row.size,
    sdk: row.sdk ?? null,
    platform: row.platform ?? null,
    level: row.level ?? null,
    title: row.title ?? null,
  };
}

export class RecentEventService {
  constructor(
    private readonly store: RecentEventStore,
    private readonly recent: RecentEvents,
  ) {}

  async list(projectId: number): Promise<RecentEventJson[]> {
    const unwritten = this.recent.unwritten(projectId);
    const stored = await this.store.latest(projectId, RECENT_EVENTS_PER_PROJECT);
    return [...unwritten, ...stored].slice(0, RECENT_EVENTS_PER_PROJECT).map(toJson);
  }
}
