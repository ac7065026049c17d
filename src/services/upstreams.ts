/**
 * A project's upstream (gateway mode): the backend's DSN that accepted events are delivered to,
 * set through the project API or the CLI, and what delivery has done with them. The DSN holds the
 * backend's key; nothing here ever answers with it: callers see the host and the project id.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ChangeBus } from '../changes/bus.ts';
import { dsnHost, parseDsn, type Dsn } from '../domain/dsn.ts';
import type { UpstreamHostPolicy } from '../domain/upstream-hosts.ts';
import type { Database } from '../storage/database.ts';
import type { ProjectRow } from '../storage/schema.ts';
import { audit } from './audit.ts';
import type { Actor } from './principal.ts';

export interface UpstreamRef {
  host: string;
  projectId: string;
}

export interface UpstreamState {
  upstream: UpstreamRef | null;
  delivered: number;
  retrying: number;
  refused: number;
  rateLimited: number;
  queued: number;
  oldestQueued: string | null;
  lastDelivered: string | null;
  lastError: { status: number | null; reason: string; at: string } | null;
}

export type UpstreamValidation = { ok: true; dsn: string | null } | { ok: false; error: string };

/** How long a name may take to resolve when it is set; unresolved, it is checked at delivery. */
const LOOKUP_TIMEOUT_MS = 2000;

export function upstreamRef(stored: string | null): UpstreamRef | null {
  if (stored === null) return null;
  const parsed = parseDsn(stored);
  return parsed.ok ? { host: dsnHost(parsed.dsn), projectId: parsed.dsn.projectId } : null;
}

export class UpstreamService {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeBus,
    private readonly policy: UpstreamHostPolicy,
  ) {}

  /**
   * An `upstreamDsn` as the API and the CLI take it: a DSN, or null/"" to clear. Its host must be
   * one UPSTREAM_HOSTS allows: a literal address is checked here, and so is a name that resolves
   * now (delivery checks every connection again).
   */
  async validate(value: string | null): Promise<UpstreamValidation> {
    if (value === null || value.trim() === '') return { ok: true, dsn: null };
    const parsed = parseDsn(value);
    if (!parsed.ok) return parsed;
    const refused = await this.refusedHost(parsed.dsn);
    if (refused) return { ok: false, error: refused };
    return { ok: true, dsn: value.trim() };
  }

  async set(project: ProjectRow, dsn: string | null, actor: Actor): Promise<ProjectRow> {
    const updated = await this.db.transaction(async (stores) => {
      const row = await stores.projects.update(project.id, { upstream_dsn: dsn });
      const ref = upstreamRef(dsn);
      await audit(stores, {
        organizationId: project.organization_id,
        actor,
        event: 'project.edit',
        targetObject: project.id,
        // The backend's host and project, never its key.
        data: { upstream: ref ? `${ref.host}/${ref.projectId}` : null, slug: row.slug },
      });
      return row;
    });
    // Every instance's key map holds each key with its project's upstream: they reload it.
    await this.changes.publish({ type: 'project', projectId: project.id });
    return updated;
  }

  async state(project: ProjectRow): Promise<UpstreamState> {
    const [queue, stats] = await Promise.all([this.db.stores.deliveries.queueState(project.id), this.db.stores.upstreamStats.byProject(project.id)]);
    return {
      upstream: upstreamRef(project.upstream_dsn),
      delivered: Number(stats?.delivered ?? 0),
      retrying: queue.retrying,
      refused: Number(stats?.refused ?? 0),
      rateLimited: Number(stats?.rate_limited ?? 0),
      queued: queue.queued,
      oldestQueued: queue.oldest === null ? null : new Date(queue.oldest).toISOString(),
      lastDelivered: stats?.last_delivered_at ?? null,
      lastError: stats?.last_error_at ? { status: stats.last_error_status, reason: stats.last_error_reason ?? '', at: stats.last_error_at } : null,
    };
  }

  private async refusedHost(dsn: Dsn): Promise<string | undefined> {
    const hostname = dsn.hostname.replace(/^\[|\]$/g, '');
    const refusal = `clientkeys may not deliver to ${dsnHost(dsn)}: UPSTREAM_HOSTS allows ${this.policy.description}.`;
    if (this.policy.listsName(hostname)) return undefined;
    if (isIP(hostname)) return this.policy.allowsAddress(hostname, hostname) ? undefined : refusal;
    let addresses: { address: string }[];
    try {
      addresses = await Promise.race([
        lookup(hostname, { all: true }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS).unref()),
      ]);
    } catch {
      // Not resolvable from here right now: delivery checks every address it connects to.
      return undefined;
    }
    return addresses.every((a) => this.policy.allowsAddress(hostname, a.address)) ? undefined : refusal;
  }
}
