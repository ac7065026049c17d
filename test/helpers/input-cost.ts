/**
 * What a request costs the server's event loop: requests are sent from a worker thread (its own
 * event loop), so the main thread, where the server under test runs, does nothing but serve them.
 * For each request: the main thread's active time while it was in flight
 * (`performance.eventLoopUtilization`), and the longest the loop was blocked
 * (`perf_hooks.monitorEventLoopDelay`).
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface CostRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

export interface Cost {
  status: number;
  /** Event-loop time the server spent, in ms. */
  activeMs: number;
  /** The longest single block of the event loop while the request was in flight, in ms. */
  maxStallMs: number;
}

// Plain JavaScript: a worker is not transformed by vitest.
const CLIENT = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: false });
parentPort.on('message', ({ id, url, method, headers, body }) => {
  const req = http.request(url, { method, headers, agent }, (res) => {
    res.resume();
    res.on('end', () => parentPort.postMessage({ id, status: res.statusCode }));
  });
  req.on('error', (error) => parentPort.postMessage({ id, status: 0, error: error.code || String(error) }));
  if (body) req.end(Buffer.from(body)); else req.end();
});
`;

export class CostMeter {
  private readonly worker = new Worker(CLIENT, { eval: true });
  private readonly histogram = monitorEventLoopDelay({ resolution: 1 });
  private readonly waiting = new Map<number, (reply: { status: number; error?: string }) => void>();
  private next = 0;

  constructor() {
    this.worker.on('message', (reply: { id: number; status: number; error?: string }) => this.waiting.get(reply.id)?.(reply));
    this.worker.unref();
    this.histogram.enable();
  }

  async measure(request: CostRequest): Promise<Cost> {
    const id = this.next++;
    const body = request.body ? new Uint8Array(request.body).buffer : undefined;
    const done = new Promise<{ status: number; error?: string }>((resolve) => this.waiting.set(id, resolve));
    this.histogram.reset();
    const before: EventLoopUtilization = performance.eventLoopUtilization();
    this.worker.postMessage({ id, url: request.url, method: request.method, headers: request.headers, body }, body ? [body] : []);
    const reply = await done;
    const used = performance.eventLoopUtilization(before);
    this.waiting.delete(id);
    if (reply.error) throw new Error(`${request.method} ${request.url.slice(0, 120)}: ${reply.error}`);
    return { status: reply.status, activeMs: used.active, maxStallMs: this.histogram.max / 1e6 };
  }

  /** The cheapest of `trials` runs: the machine's noise only ever adds. */
  async cheapest(request: () => CostRequest, trials: number): Promise<Cost> {
    let best: Cost | undefined;
    for (let i = 0; i < trials; i++) {
      const cost = await this.measure(request());
      if (!best || cost.activeMs < best.activeMs) best = { ...cost, maxStallMs: Math.min(cost.maxStallMs, best?.maxStallMs ?? Infinity) };
    }
    return best!;
  }

  close(): Promise<number> {
    this.histogram.disable();
    return this.worker.terminate();
  }
}

/**
 * The floor a refusal's cost is measured against, in the same run: a bare node:http server on the
 * same thread that reads a body to its end, discards it and answers 403. What reading N bytes off a
 * socket costs Node itself differs from machine to machine (about 1 ms per MB on these).
 */
export async function bareDrainServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => response.writeHead(403, { 'content-type': 'application/json' }).end('{"detail":"no"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Input shapes that trip parsers, each grown to `size` bytes. */
export const SHAPES: Record<string, (size: number) => string> = {
  newlines: (n) => '\n'.repeat(n),
  'boundary lines': (n) => repeatTo('--x\r\n', n),
  'header lines without a name': (n) => repeatTo('content-disposition: form-data; filename="a"; ', n),
  'unclosed quote': (n) => `{"dsn":"${'a'.repeat(Math.max(0, n - 8))}`,
  nesting: (n) => '['.repeat(n),
  'object nesting': (n) => repeatTo('{"a":', n),
  spaces: (n) => ' '.repeat(n),
  slashes: (n) => '/'.repeat(n),
  'base64-like': (n) => 'A'.repeat(n),
  'many items': (n) => repeatTo('{"type":"event"}\n{}\n', n),
};

export function repeatTo(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}
