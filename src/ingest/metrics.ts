/**
 * Prometheus counters of the ingest gate (served at /metrics). Label children are cached: the hot
 * path increments a counter without rebuilding its label set. `project_id` is set only once a key
 * proved which project it is, so made-up project ids in paths cannot grow the label space.
 */
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export type Outcome = 'accepted' | 'dropped' | 'refused';
export type ForwardResult = 'sent' | 'failed' | 'dropped';

export class IngestMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'project_id' | 'outcome' | 'reason' | 'endpoint'>;
  private readonly events: Counter<'project_id' | 'outcome'>;
  private readonly forwards: Counter<'result'>;
  private readonly limiterErrors: Counter;
  private readonly children = new Map<string, { inc(value?: number): void }>();

  constructor() {
    this.requests = new Counter({
      name: 'clientkeys_ingest_requests_total',
      help: 'Ingest requests by outcome (accepted, dropped by a rate limit, refused) and reason.',
      labelNames: ['project_id', 'outcome', 'reason', 'endpoint'],
      registers: [this.registry],
    });
    this.events = new Counter({
      name: 'clientkeys_ingest_events_total',
      help: 'Error-category events (what key quotas and key stats count) by outcome.',
      labelNames: ['project_id', 'outcome'],
      registers: [this.registry],
    });
    this.forwards = new Counter({
      name: 'clientkeys_forward_requests_total',
      help: 'Accepted requests forwarded upstream: sent, failed, or dropped because the queue was full.',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.limiterErrors = new Counter({
      name: 'clientkeys_rate_limiter_errors_total',
      help: 'Rate-limiter calls that failed (the request was admitted).',
      registers: [this.registry],
    });
    collectDefaultMetrics({ register: this.registry });
  }

  request(outcome: Outcome, reason: string, endpoint: string, projectId: number | undefined): void {
    const project = projectId === undefined ? 'unknown' : String(projectId);
    const id = `r|${project}|${outcome}|${reason}|${endpoint}`;
    let child = this.children.get(id);
    if (!child) {
      child = this.requests.labels({ project_id: project, outcome, reason, endpoint });
      this.children.set(id, child);
    }
    child.inc();
  }

  eventsCounted(outcome: 'accepted' | 'dropped', projectId: number, quantity: number): void {
    const id = `e|${projectId}|${outcome}`;
    let child = this.children.get(id);
    if (!child) {
      child = this.events.labels({ project_id: String(projectId), outcome });
      this.children.set(id, child);
    }
    child.inc(quantity);
  }

  forward(result: ForwardResult): void {
    this.forwards.inc({ result });
  }

  limiterError(): void {
    this.limiterErrors.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
