/**
 * A project's backend as the gate and delivery use it: the parsed DSN and the name its rate limits
 * and queue rows go by (`<host>/<project id>`). Parsed once per distinct stored DSN, shared by all
 * of a project's keys.
 */
import { dsnHost, parseDsn, type Dsn } from '../domain/dsn.ts';
import { Interned } from '../domain/interned.ts';

export interface UpstreamTarget {
  /** `<host[:port]>/<project id>`: what rate limits and queue rows name the backend by. */
  id: string;
  dsn: Dsn;
}

const targets = new Interned<UpstreamTarget | undefined>((stored) => {
  const parsed = parseDsn(stored);
  // Only the API and the CLI write it, after parsing it; anything else reads as no upstream.
  return parsed.ok ? { id: `${dsnHost(parsed.dsn)}/${parsed.dsn.projectId}`, dsn: parsed.dsn } : undefined;
});

export function upstreamTarget(stored: string | null): UpstreamTarget | undefined {
  return stored === null ? undefined : targets.get(stored);
}
