/**
 * A web site on its own loopback origin for the JS SDK loader's browser tests: pages registered by
 * the test (with the headers it wants, a Content-Security-Policy say), and a recorder of what a
 * browser page does: every request it makes, the Sentry envelopes it sends and the gate's answers,
 * its console. Envelopes are parsed as Relay reads them (an item with a `length` is that many bytes).
 */
import { createServer, type Server } from 'node:http';
import type { Page, Request, Response } from 'playwright-core';

export interface SitePage {
  body: string | Buffer;
  type?: string;
  headers?: Record<string, string>;
}

export interface Site {
  origin: string;
  /** Serve `page` at `path` (replacing what was there). */
  set(path: string, page: SitePage): void;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const pages = new Map<string, SitePage>();
  const server: Server = createServer((req, res) => {
    const page = pages.get((req.url ?? '/').split('?')[0] ?? '/');
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': page.type ?? 'text/html; charset=utf-8', 'cache-control': 'no-store', ...page.headers }).end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    set: (path, page) => pages.set(path, page),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface EnvelopeItem {
  type: string;
  header: Record<string, unknown>;
  payload: Buffer;
  /** The payload as JSON, when it is JSON. */
  json: any;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

function parseJson(bytes: Buffer): any {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function parseEnvelope(body: Buffer): Envelope {
  let pos = 0;
  const line = (): Buffer => {
    const end = body.indexOf(0x0a, pos);
    const slice = body.subarray(pos, end === -1 ? body.length : end);
    pos = end === -1 ? body.length : end + 1;
    return slice;
  };
  const header = parseJson(line()) ?? {};
  const items: EnvelopeItem[] = [];
  while (pos < body.length) {
    const raw = line();
    if (raw.length === 0) continue;
    const itemHeader = parseJson(raw) as Record<string, unknown>;
    let payload: Buffer;
    if (typeof itemHeader.length === 'number') {
      payload = body.subarray(pos, pos + itemHeader.length);
      pos += itemHeader.length;
      if (body[pos] === 0x0a) pos += 1;
    } else {
      payload = line();
    }
    items.push({ type: String(itemHeader.type), header: itemHeader, payload, json: parseJson(payload) });
  }
  return { header, items };
}

export interface SentEnvelope {
  url: URL;
  /** The key the SDK sent with (`sentry_key` in the query). */
  publicKey: string | null;
  envelope: Envelope;
  types: string[];
}

const isEnvelope = (request: Request) => request.method() === 'POST' && /^\/api\/\d+\/envelope\/$/.test(new URL(request.url()).pathname);

function sent(request: Request): SentEnvelope {
  const url = new URL(request.url());
  const envelope = parseEnvelope(request.postDataBuffer() ?? Buffer.alloc(0));
  return { url, publicKey: url.searchParams.get('sentry_key'), envelope, types: envelope.items.map((item) => item.type) };
}

/** What one page did. */
export class PageRecorder {
  readonly requests: string[] = [];
  readonly envelopes: SentEnvelope[] = [];
  readonly console: string[] = [];

  constructor(readonly page: Page) {
    page.on('request', (request) => {
      this.requests.push(request.url());
      if (isEnvelope(request)) this.envelopes.push(sent(request));
    });
    page.on('console', (message) => this.console.push(message.text()));
  }

  /** The first envelope `accept` takes that is answered from now on, with the gate's answer (call it before the page sends). */
  async envelope(accept: (sent: SentEnvelope) => boolean): Promise<SentEnvelope & { status: number }> {
    const answered = (response: Response) => isEnvelope(response.request()) && accept(sent(response.request()));
    const response = await this.page.waitForResponse(answered);
    return { ...sent(response.request()), status: response.status() };
  }

  /** The origins of every request the page made. */
  origins(): Set<string> {
    return new Set(this.requests.map((url) => new URL(url).origin));
  }
}

/** The event of an envelope (an error or message), if it has one. */
export function eventOf(sent: SentEnvelope): any {
  return sent.envelope.items.find((item) => item.type === 'event')?.json;
}
