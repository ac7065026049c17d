/**
 * What a request costs the server: requests are sent from a child process, so this process, where
 * the server under test runs, does nothing but serve them. For each request: the CPU time this
 * process spent while it was in flight (`process.cpuUsage`: unlike wall time, not inflated when a
 * busy machine takes the core away), the event loop's active time (`eventLoopUtilization`), and the
 * longest the loop was blocked (`perf_hooks.monitorEventLoopDelay`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CostRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

export interface Cost {
  status: number;
  /** CPU time the server spent, in ms. */
  cpuMs: number;
  /** Event-loop time the server spent (wall clock while not idle), in ms. */
  activeMs: number;
  /** The longest single block of the event loop while the request was in flight, in ms. */
  maxStallMs: number;
}

// Plain JavaScript, run by `node -e`: nothing here is transformed by vitest.
const CLIENT = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: false });
const { readFileSync } = require('node:fs');
process.on('message', ({ id, url, method, headers, bodyFile }) => {
  const body = bodyFile ? readFileSync(bodyFile) : undefined;
  const req = http.request(url, { method, headers, agent }, (res) => {
    res.resume();
    res.on('end', () => process.send({ id, status: res.statusCode }));
  });
  req.on('error', (error) => process.send({ id, status: 0, error: error.code || String(error) }));
  if (body) req.end(body); else req.end();
});
process.on('disconnect', () => process.exit(0));
`;

export class CostMeter {
  private readonly dir = mkdtempSync(join(tmpdir(), 'clientkeys-cost-'));
  private readonly client: ChildProcess = fork('-e', [CLIENT], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private readonly histogram = monitorEventLoopDelay({ resolution: 1 });
  private readonly waiting = new Map<number, (reply: { status: number; error?: string }) => void>();
  private next = 0;

  constructor() {
    this.client.on('message', (reply: { id: number; status: number; error?: string }) => this.waiting.get(reply.id)?.(reply));
    this.histogram.enable();
  }

  async measure(request: CostRequest): Promise<Cost> {
    const id = this.next++;
    const done = new Promise<{ status: number; error?: string }>((resolve) => this.waiting.set(id, resolve));
    // The body goes through a file (a megabyte through IPC is slow), written before the clock starts.
    let bodyFile: string | undefined;
    if (request.body) {
      bodyFile = join(this.dir, `body-${id}`);
      writeFileSync(bodyFile, request.body);
    }
    const message = { id, url: request.url, method: request.method, headers: request.headers, bodyFile };
    this.histogram.reset();
    const cpuBefore = process.cpuUsage();
    const before: EventLoopUtilization = performance.eventLoopUtilization();
    this.client.send(message);
    const reply = await done;
    const used = performance.eventLoopUtilization(before);
    const cpu = process.cpuUsage(cpuBefore);
    this.waiting.delete(id);
    if (bodyFile) rmSync(bodyFile, { force: true });
    if (reply.error) throw new Error(`${request.method} ${request.url.slice(0, 120)}: ${reply.error}`);
    return { status: reply.status, cpuMs: (cpu.user + cpu.system) / 1000, activeMs: used.active, maxStallMs: this.histogram.max / 1e6 };
  }

  /** The cheapest of `trials` runs: the machine's noise only ever adds. */
  async cheapest(request: () => CostRequest, trials: number): Promise<Cost> {
    let best: Cost | undefined;
    for (let i = 0; i < trials; i++) {
      const cost = await this.measure(request());
      if (!best || cost.cpuMs < best.cpuMs) best = { ...cost, maxStallMs: Math.min(cost.maxStallMs, best?.maxStallMs ?? Infinity) };
    }
    return best!;
  }

  close(): void {
    this.histogram.disable();
    this.client.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
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
