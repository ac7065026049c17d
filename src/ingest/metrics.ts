/**
 * Prometheus counters of the ingest gate (served at /metrics). The hot path only adds to plain
 * numbers; they move into prom-client's counters when /metrics is scraped. prom-client is loaded
 * by the server's /metrics route: the CLI, which counts nothing, starts without it. `project_id` is set
 * only once a key proved which project it is, so made-up project ids in paths cannot grow the
 * label space.
 */
import type { Counter, Registry } from 'prom-client';

export type Outcome = 'accepted' | 'dropped' | 'refused';
export type ForwardResult = 'sent' | 'failed' | 'dropped';

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

export class IngestMetrics {
  private readonly requests = new Tally<'project_id' | 'outcome' | 'reason' | 'endpoint'>();
  private readonly events = new Tally<'project_id' | 'outcome'>();
  private readonly forwards = new Tally<'result'>();
  private readonly limiterErrors = new Tally<never>();
  private exposition: Promise<Registry> | undefined;

  /** prom-client's registry over these counts and the process's own metrics. */
  registry(): Promise<Registry> {
    this.exposition ??= this.createRegistry();
    return this.exposition;
  }

  private async createRegistry(): Promise<Registry> {
    const { collectDefaultMetrics, Counter, Registry } = await import('prom-client');
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
    counter('clientkeys_forward_requests_total', 'Accepted requests forwarded upstream: sent, failed, or dropped because the queue was full.', ['result'], this.forwards);
    counter('clientkeys_rate_limiter_errors_total', 'Rate-limiter calls that failed (the request was admitted).', [], this.limiterErrors);
    collectDefaultMetrics({ register: registry });
    return registry;
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

  forward(result: ForwardResult): void {
    this.forwards.add([result], () => ({ result }), 1);
  }

  limiterError(): void {
    this.limiterErrors.add([null], () => ({}), 1);
  }
}
