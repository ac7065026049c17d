/**
 * Accepted requests sent on, unchanged, to an upstream Relay or Sentry (FORWARD_URL). A bounded
 * queue in front of a few concurrent senders: ingest only enqueues, never waits; when the queue is
 * full the request is dropped from forwarding (it was still accepted here) and counted.
 */
import type { IngestMetrics } from './metrics.ts';

export interface ForwardRequest {
  /** Path and query as received, e.g. `/api/42/envelope/?sentry_key=…`. */
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body as received (still compressed when it came compressed). */
  body: Buffer;
}

/** Headers that say what the body is and who sent it; hop-by-hop ones stay behind. */
export const FORWARDED_HEADERS = [
  'content-type',
  'content-encoding',
  'x-sentry-auth',
  'authorization',
  'user-agent',
  'origin',
  'referer',
] as const;

export class Forwarder {
  private readonly queue: ForwardRequest[] = [];
  private active = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly capacity: number,
    private readonly metrics: IngestMetrics,
    private readonly concurrency = 4,
    private readonly timeoutMs = 10_000,
  ) {}

  enqueue(request: ForwardRequest): boolean {
    if (this.queue.length >= this.capacity) {
      this.metrics.forward('dropped');
      return false;
    }
    this.queue.push(request);
    this.pump();
    return true;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Wait until the queue is empty and nothing is in flight, or until `timeoutMs` passes. */
  async drain(timeoutMs = 5000): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const request = this.queue.shift() as ForwardRequest;
      this.active += 1;
      void this.send(request).finally(() => {
        this.active -= 1;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async send(request: ForwardRequest): Promise<void> {
    try {
      const response = await fetch(`${this.baseUrl}${request.url}`, {
        method: request.method,
        headers: request.headers,
        body: request.method === 'GET' ? undefined : request.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
      // A 4xx is the upstream's verdict on the event (e.g. its own rate limit), not a failure to deliver.
      this.metrics.forward(response.status >= 500 ? 'failed' : 'sent');
    } catch {
      this.metrics.forward('failed');
    }
  }
}
