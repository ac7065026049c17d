import type { IngestMetrics } from '../ingest/metrics.ts';

/** The counters the gateway adds to /metrics (kept with the ingest gate's, in one registry). */
export type GatewayMetrics = Pick<IngestMetrics, 'delivery' | 'spoolFull' | 'spoolBytes' | 'commit' | 'queueSnapshot'>;
