/**
 * Prometheus counters of the ingest gate (served at /metrics). The hot path only adds to plain
 * numbers; they move into prom-client's counters when /metrics is scraped. The delivery queue's
 * commit histograms, once per commit rather than per request, are observed as each commit ends. prom-client is loaded
 * by the server's /metrics route: the CLI, which counts nothing, starts without it. `project_id` is set
 * only once a key proved which project it is, so made-up project ids in paths cannot grow the
 * label space.
 */
import type { Counter, Histogram, Registry } from 'prom-client';
import type { GatewayMetrics } from '../gateway/metrics.ts';

export type Outcome = 'accepted' | 'dropped' | 'refused';

interface Entry<L extends string> {
  labels: Partial<Record<L, string>>;
  count: number;
}

/**
 * Counts per label set since the last scrape, found through nested maps keyed by the label values
 * themselves: no string is built per request.
 */
class Tally<L extends string> {
  private readonly root = new Map<unknown, unknown>();
  private readonly entries: Entry<L>[] = [];

  add(path: readonly unknown[], labels: () => Partial<Record<L, string>>, value: number): void {
    let node = this.root;
    const last = path.length - 1;
    for (let i = 0; i < last; i += 1) {
      let next = node.get(path[i]) as Map<unknown, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(path[i], next);
      }
      node = next;
    }
    const entry = node.get(path[last]) as Entry<L> | undefined;
    if (entry) {
      entry.count += value;
    } else {
      const created = { labels: labels(), count: value };
      node.set(path[last], created);
      this.entries.push(created);
    }
  }

  drainInto(counter: Counter<L>): void {
    for (const entry of this.entries) {
      if (entry.count === 0) continue;
      counter.inc(entry.labels, entry.count);
      entry.count = 0;
    }
  }
}

export class IngestMetrics implements GatewayMetrics {
  private readonly requests = new Tally<'project_id' | 'outcome' | 'reason' | 'endpoint'>();
  private readonly events = new Tally<'project_id' | 'outcome'>();
  private readonly limiterErrors = new Tally<never>();
  private readonly deliveries = new Tally<'project_id' | 'outcome'>();
  private readonly spoolFulls = new Tally<never>();
  private spoolByteCount = 0;
  /**
   * The two commit histograms, observed as each commit ends (both in the same call, so one scrape
   * shows the same commits in each). Until prom-client has loaded (the first commit starts loading
   * it; a few milliseconds), commits wait in `pendingCommits`, all of them, then go in.
   */
  private commitHistograms: { events: Histogram; seconds: Histogram } | undefined;
  private pendingCommits: { events: number; seconds: number }[] = [];
  private commitFailures = 0;
  /** The delivery queue per project, read from the database when /metrics is scraped. */
  queueSnapshot: () => Promise<{ projectId: number; queued: number; oldest: number }[]> = async () => [];
  private exposition: Promise<Registry> | undefined;

  /** prom-client's registry over these counts and the process's own metrics. */
  registry(): Promise<Registry> {
    this.exposition ??= this.createRegistry();
    return this.exposition;
  }

  private async createRegistry(): Promise<Registry> {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = await import('prom-client');
    const registry = new Registry();
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], tally: Tally<L>) =>
      new Counter<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          tally.drainInto(this);
        },
      });
    counter(
      'clientkeys_ingest_requests_total',
      'Ingest requests by outcome (accepted, dropped by a rate limit, refused) and reason.',
      ['project_id', 'outcome', 'reason', 'endpoint'],
      this.requests,
    );
    counter('clientkeys_ingest_events_total', 'Error-category events (what key quotas and key stats count) by outcome.', ['project_id', 'outcome'], this.events);
    counter('clientkeys_rate_limiter_errors_total', 'Rate-limiter calls that failed (the request was admitted).', [], this.limiterErrors);
    counter(
      'clientkeys_upstream_deliveries_total',
      "Delivery attempts to projects' backends by outcome: delivered, retried (5xx or network; tried again later), refused (another 4xx; dropped), rate_limited (429; dropped).",
      ['project_id', 'outcome'],
      this.deliveries,
    );
    counter('clientkeys_spool_full_total', 'Requests refused with 503 because the delivery queue held SPOOL_MAX_BYTES.', [], this.spoolFulls);
    const metrics = this;
    new Gauge({
      name: 'clientkeys_spool_bytes',
      help: 'Bytes in the delivery queue, as this instance knows them.',
      registers: [registry],
      collect() {
        this.set(metrics.spoolByteCount);
      },
    });
    const events = new Histogram({
      name: 'clientkeys_spool_commit_events',
      help: 'Events (queued requests) per commit of the delivery queue (group commit).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    });
    const seconds = new Histogram({
      name: 'clientkeys_spool_commit_seconds',
      help: 'How long a commit of the delivery queue took: what it adds to an answer.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    for (const commit of this.pendingCommits) {
      events.observe(commit.events);
      seconds.observe(commit.seconds);
    }
    this.pendingCommits = [];
    this.commitHistograms = { events, seconds };
    new Counter({
      name: 'clientkeys_spool_commit_failures_total',
      help: 'Commits of the delivery queue that failed (their requests were answered 503).',
      registers: [registry],
      collect() {
        if (metrics.commitFailures > 0) this.inc(metrics.commitFailures);
        metrics.commitFailures = 0;
      },
    });
    const queued = new Gauge({ name: 'clientkeys_upstream_queued', help: "Requests waiting for a project's backend.", labelNames: ['project_id'], registers: [registry] });
    new Gauge({
      name: 'clientkeys_upstream_oldest_queued_seconds',
      help: "Age of the oldest request waiting for a project's backend.",
      labelNames: ['project_id'],
      registers: [registry],
      async collect() {
        const snapshot = await metrics.queueSnapshot().catch(() => []);
        queued.reset();
        this.reset();
        const now = Date.now();
        for (const row of snapshot) {
          queued.set({ project_id: String(row.projectId) }, row.queued);
          this.set({ project_id: String(row.projectId) }, Math.max(0, (now - row.oldest) / 1000));
        }
      },
    });
    collectDefaultMetrics({ register: registry });
    return registry;
  }

  delivery(outcome: 'delivered' | 'retried' | 'refused' | 'rate_limited', projectId: number): void {
    this.deliveries.add([projectId, outcome], () => ({ project_id: String(projectId), outcome }), 1);
  }

  spoolFull(): void {
    this.spoolFulls.add([null], () => ({}), 1);
  }

  spoolBytes(bytes: number): void {
    this.spoolByteCount = bytes;
  }

  commit(events: number, milliseconds: number, ok: boolean): void {
    if (!ok) this.commitFailures += 1;
    const histograms = this.commitHistograms;
    if (histograms) {
      histograms.events.observe(events);
      histograms.seconds.observe(milliseconds / 1000);
      return;
    }
    // Only a process that commits loads prom-client for it (the CLI commits nothing).
    this.pendingCommits.push({ events, seconds: milliseconds / 1000 });
    void this.registry().catch(() => {});
  }

  request(outcome: Outcome, reason: string, endpoint: string, projectId: number | undefined): void {
    this.requests.add(
      [projectId, outcome, reason, endpoint],
      () => ({ project_id: projectId === undefined ? 'unknown' : String(projectId), outcome, reason, endpoint }),
      1,
    );
  }

  eventsCounted(outcome: 'accepted' | 'dropped', projectId: number, quantity: number): void {
    this.events.add([projectId, outcome], () => ({ project_id: String(projectId), outcome }), quantity);
  }

  limiterError(): void {
    this.limiterErrors.add([null], () => ({}), 1);
  }
}
