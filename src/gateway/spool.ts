/**
 * The durable delivery queue's front: a request is answered 200 only once its delivery row is
 * committed. Rows that arrive while a commit is being written wait for the next one, so under load
 * one commit carries many events (group commit) and costs each little. Bounded by SPOOL_MAX_BYTES:
 * when the queue holds that much, new requests are refused (503), never accepted and dropped.
 */
import type { Database } from '../storage/database.ts';
import type { NewDelivery } from '../storage/schema.ts';
import type { Delivery } from '../storage/stores/deliveries.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Outbound } from './translate.ts';

export interface SpoolEntry {
  projectId: number;
  /** `<host>/<project id>` of the backend, or `forward`. */
  upstream: string;
  request: Outbound;
  eventId: string | undefined;
}

export type SpoolResult = { ok: true } | { ok: false; reason: 'full' | 'unavailable' };

interface Waiting {
  row: NewDelivery;
  /** The row's headers as an object: what delivery sends, without parsing the row's text again. */
  headers: Record<string, string>;
  done: (result: SpoolResult) => void;
}

const FULL: SpoolResult = { ok: false, reason: 'full' };
const UNAVAILABLE: SpoolResult = { ok: false, reason: 'unavailable' };
const COMMITTED: SpoolResult = { ok: true };

/** What a row costs the queue's bound: its body and what else it stores. */
export function entrySize(entry: SpoolEntry): number {
  return (entry.request.body?.length ?? 0) + entry.request.url.length + 256;
}

export class Spool {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private writing = false;
  /** Bytes in the queue as this instance knows them: read from the database, then kept current. */
  private bytes = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Called after each commit with the rows it wrote, so delivery can send them at once. */
  onCommitted: (deliveries: Delivery[]) => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly maxBytes: number,
    private readonly metrics: GatewayMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  /** Learn what the queue holds; on PostgreSQL, keep learning (other instances add and deliver too). */
  async start(): Promise<void> {
    this.bytes = await this.db.stores.deliveries.totalBytes();
    this.metrics.spoolBytes(this.bytes);
    if (this.db.dialect === 'postgres') {
      this.refreshTimer = setInterval(() => {
        this.db.stores.deliveries.totalBytes().then(
          (bytes) => {
            this.bytes = bytes + this.waiting.reduce((sum, w) => sum + w.row.size, 0);
            this.metrics.spoolBytes(this.bytes);
          },
          () => {},
        );
      }, 1000);
      this.refreshTimer.unref();
    }
  }

  /** Whether a request of this many bytes fits now (asked before any quota is spent); a refusal is counted. */
  admits(size: number): boolean {
    if (this.bytes + size <= this.maxBytes) return true;
    this.metrics.spoolFull();
    return false;
  }

  enqueue(entry: SpoolEntry): Promise<SpoolResult> {
    const size = entrySize(entry);
    if (!this.admits(size)) return Promise.resolve(FULL);
    this.bytes += size;
    const now = this.now();
    const row: NewDelivery = {
      project_id: entry.projectId,
      upstream: entry.upstream,
      url: entry.request.url,
      method: entry.request.method,
      headers: JSON.stringify(entry.request.headers),
      body: entry.request.body ?? null,
      size,
      event_id: entry.eventId ?? null,
      created_at: now,
      next_attempt_at: now,
    };
    return new Promise((done) => {
      this.waiting.push({ row, headers: entry.request.headers, done });
      this.schedule();
    });
  }

  /** A delivered or dropped row no longer counts against the bound. */
  released(size: number): void {
    this.bytes = Math.max(0, this.bytes - size);
    this.metrics.spoolBytes(this.bytes);
  }

  /** Write what is waiting (on close: nothing accepted is left in memory). */
  async flush(): Promise<void> {
    while (this.waiting.length > 0 || this.writing) {
      if (this.writing) await new Promise((resolve) => setImmediate(resolve));
      else await this.commit();
    }
  }

  close(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // Everything that arrives in this turn of the event loop goes into one commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.commit();
    });
  }

  private async commit(): Promise<void> {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    const batch = this.waiting;
    this.waiting = [];
    const started = performance.now();
    let result = COMMITTED;
    let ids: number[] = [];
    try {
      ids = await this.db.bookkeepingTransaction((stores) => stores.deliveries.insertMany(batch.map((w) => w.row)));
    } catch {
      result = UNAVAILABLE;
      for (const w of batch) this.bytes -= w.row.size;
    }
    this.writing = false;
    this.metrics.commit(batch.length, performance.now() - started, result.ok);
    this.metrics.spoolBytes(this.bytes);
    for (const w of batch) w.done(result);
    if (result.ok) this.onCommitted(batch.map((w, i) => committed(w, ids[i]!)));
    if (this.waiting.length > 0) this.schedule();
  }
}

/** A committed row as delivery reads it from the queue. */
function committed(waiting: Waiting, id: number): Delivery {
  const row = waiting.row;
  return {
    id,
    projectId: row.project_id,
    upstream: row.upstream,
    url: row.url,
    method: row.method,
    headers: waiting.headers,
    body: row.body ?? null,
    size: row.size,
    eventId: row.event_id ?? null,
    createdAt: Number(row.created_at),
    attempts: 0,
  };
}
