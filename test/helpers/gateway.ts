/** Waiting for the delivery queue, and backends for the gateway's tests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Harness } from './harness.ts';

/** Until the delivery queue is empty (every row delivered or dropped), or `timeoutMs` passes. */
export async function queueDrained(h: Harness, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await h.db.kysely.selectFrom('deliveries').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    if (Number(left.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`the delivery queue still holds ${left.n} rows`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}


export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * A backend that records the exact bytes it gets and answers as told (200 by default). `answer`
 * may be changed between requests: a status, headers and a body.
 */
export class RecordingBackend {
  readonly received: Recorded[] = [];
  answer: (request: Recorded) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200, body: '{}' });
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      this.received.push(recorded);
      const { status, headers, body } = this.answer(recorded);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ?? '');
    });
  });
  port = 0;

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Until `n` requests have arrived, or `timeoutMs` passes. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<Recorded[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`the backend got ${this.received.length} of ${n} requests`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received;
  }
}

/** A DSN for a backend at `base` (http://host:port[/prefix]) with this key and project id. */
export function backendDsn(base: string, publicKey: string, projectId: number | string, secret?: string): string {
  const url = new URL(base);
  return `${url.protocol}//${publicKey}${secret ? `:${secret}` : ''}@${url.host}${url.pathname.replace(/\/$/, '')}/${projectId}`;
}
