/**
 * What the gateway, policy and health benches ask of a running clientkeys: its management API
 * (with the seeded token, as a user's script would) and its /metrics, read as Prometheus text.
 */
import type { Server } from './lib.ts';

export const ORG = 'bench';

/** A management API call that must succeed; answers the parsed JSON body. */
export async function api<T = unknown>(server: Server, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface KeyAnswer {
  id: string;
  public: string;
  projectId: number | string;
}

/** The first key of a project (its Default key on a fresh database). */
export async function firstKey(server: Server, token: string, project: string): Promise<KeyAnswer> {
  const keys = await api<KeyAnswer[]>(server, token, 'GET', `/api/0/projects/${ORG}/${project}/keys/`);
  if (!keys[0]) throw new Error(`project ${project} has no key`);
  return keys[0];
}

/** /metrics as sample name + labels -> value (`name{a="b"}` as prom-client writes it). */
export async function scrape(server: Server): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`);
  if (!response.ok) throw new Error(`/metrics: ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The sum of every sample of `name` whose labels include all of `labels` (`outcome="accepted"`, …). */
export function total(samples: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [sample, value] of samples) {
    const brace = sample.indexOf('{');
    const sampleName = brace < 0 ? sample : sample.slice(0, brace);
    if (sampleName !== name) continue;
    if (labels.every((label) => sample.includes(label))) sum += value;
  }
  return sum;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
