/**
 * A project's backend as the gate and delivery use it: the parsed DSN and the name its rate limits
 * and queue rows go by (`<host>/<project id>`). The key map parses it once per project and
 * shares it among the project's keys (ingest/key-table.ts).
 */
import { dsnHost, parseDsn, type Dsn } from '../domain/dsn.ts';

export interface UpstreamTarget {
  /** `<host[:port]>/<project id>`: what rate limits and queue rows name the backend by. */
  id: string;
  dsn: Dsn;
}

export function upstreamTarget(stored: string | null): UpstreamTarget | undefined {
  if (stored === null) return undefined;
  const parsed = parseDsn(stored);
  // Only the API and the CLI write it, after parsing it; anything else reads as no upstream.
  return parsed.ok ? { id: `${dsnHost(parsed.dsn)}/${parsed.dsn.projectId}`, dsn: parsed.dsn } : undefined;
}
