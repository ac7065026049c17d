/** Sending to the DSN endpoints as SDKs do, and the fixtures ingest tests share. */
import { randomBytes } from 'node:crypto';
import type { Harness } from './harness.ts';
import { TEST_ACTOR } from './harness.ts';
import type { ProjectKeyRow, ProjectRow } from '../../src/storage/schema.ts';

export interface IngestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body chunked with no content type, as @sentry/node does. */
  chunked?: boolean;
}

export async function send(h: Harness, path: string, options: SendOptions = {}): Promise<IngestResponse> {
  const method = options.method ?? 'POST';
  let body: ReadableStream<Uint8Array> | Uint8Array | undefined;
  let extra: Record<string, unknown> = {};
  if (options.body !== undefined) {
    const bytes = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    if (options.chunked) {
      body = new ReadableStream({
        start(controller) {
          // Two chunks, so the body really is chunked.
          controller.enqueue(new Uint8Array(bytes.subarray(0, Math.floor(bytes.length / 2))));
          controller.enqueue(new Uint8Array(bytes.subarray(Math.floor(bytes.length / 2))));
          controller.close();
        },
      });
      extra = { duplex: 'half' };
    } else {
      body = new Uint8Array(bytes);
    }
  }
  const response = await fetch(`${h.baseUrl}${path}`, { method, headers: options.headers, body, ...extra } as RequestInit);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const eventId = () => randomBytes(16).toString('hex');

/** An envelope with one event item, as an SDK sends it. */
export function eventEnvelope(id = eventId(), extraHeader: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ event_id: id, sent_at: new Date().toISOString(), sdk: { name: 'sentry.test', version: '1.0.0' }, ...extraHeader })}\n{"type":"event"}\n${JSON.stringify({ event_id: id, message: 'hello', level: 'error', platform: 'node' })}\n`;
}

export function sessionEnvelope(): string {
  return `{"sent_at":"${new Date().toISOString()}"}\n{"type":"session"}\n{"sid":"${eventId()}","status":"ok","init":true}\n`;
}

export async function createKey(h: Harness, project: ProjectRow, rateLimit?: { count: number; window: number }): Promise<ProjectKeyRow> {
  const result = await h.services.keys.create(project, { name: 'test', rateLimit, useCase: 'user' }, TEST_ACTOR);
  if (!result.ok) throw new Error(result.reason);
  return result.key;
}

export async function setActive(h: Harness, project: ProjectRow, key: ProjectKeyRow, isActive: boolean): Promise<void> {
  await h.services.keys.update(project, key, { isActive }, TEST_ACTOR);
}

export const envelopePath = (project: ProjectRow, key?: ProjectKeyRow | string) =>
  `/api/${project.id}/envelope/${key ? `?sentry_key=${typeof key === 'string' ? key : key.public_key}&sentry_version=7` : ''}`;

/** `senders` at once, spread over the instances, each sending `each` events; the statuses they got. */
export async function flood(instances: Harness[], project: ProjectRow, key: ProjectKeyRow, senders: number, each: number): Promise<number[]> {
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      const h = instances[sender % instances.length] as Harness;
      for (let i = 0; i < each; i += 1) statuses.push((await send(h, envelopePath(project, key), { body: eventEnvelope() })).status);
    }),
  );
  return statuses;
}
