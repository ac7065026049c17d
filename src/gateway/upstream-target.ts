/**
 * A project's backend as the gate and delivery use it: the parsed DSN and the name its rate limits
 * and queue rows go by (`<host>/<project id>`). Parsed once per distinct stored DSN, shared by all
 * of a project's keys.
 */
import { dsnHost, parseDsn, type Dsn } from '../domain/dsn.ts';

export interface UpstreamTarget {
  /** `<host[:port]>/<project id>`: what rate limits and queue rows name the backend by. */
  id: string;
  dsn: Dsn;
}

const targets = new Map<string, UpstreamTarget | undefined>();

export function upstreamTarget(stored: string | null): UpstreamTarget | undefined {
  if (stored === null) return undefined;
  if (targets.has(stored)) return targets.get(stored);
  const parsed = parseDsn(stored);
  // Only the API and the CLI write it, after parsing it; anything else reads as no upstream.
  const target = parsed.ok ? { id: `${dsnHost(parsed.dsn)}/${parsed.dsn.projectId}`, dsn: parsed.dsn } : undefined;
  if (targets.size >= 10_000) targets.clear();
  targets.set(stored, target);
  return target;
}
