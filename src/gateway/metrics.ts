/**
 * The counters the gateway adds to /metrics. The ingest metrics implement them, so they are kept
 * with the gate's in one registry; the gateway names only what it records.
 */
export interface GatewayMetrics {
  delivery(outcome: 'delivered' | 'retried' | 'refused' | 'rate_limited', projectId: number): void;
  spoolFull(): void;
  spoolBytes(bytes: number): void;
  /** One commit of the delivery queue: how many events it held and how long it took. */
  commit(events: number, milliseconds: number, ok: boolean): void;
  /** The delivery queue per project, read from the database when /metrics is scraped. */
  queueSnapshot: () => Promise<{ projectId: number; queued: number; oldest: number }[]>;
}
