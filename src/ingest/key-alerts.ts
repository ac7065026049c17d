/**
 * Alerts about keys (ALERT_WEBHOOK_URL): JSON events POSTed to the operator's webhook, signed with
 * ALERT_WEBHOOK_SECRET (`X-Clientkeys-Signature`: the HMAC-SHA256 of the body, hex).
 * - `key.used_while_inactive`: a disabled, expired or rotated-out key still receives requests; at
 *   the first one, then at most once an hour per key.
 * - `key.rate_limited`: at most once per window per key and quota.
 * "At most once" holds across instances: a mark in the database, taken in one statement, decides
 * who sends. Nothing here runs on the hot path beyond a map lookup: the rest happens after the
 * answer, and the alert goes through the durable delivery queue like any event (at least once).
 */
import { createHmac } from 'node:crypto';
import type { Spool } from '../gateway/spool.ts';
import type { Database } from '../storage/database.ts';
import type { IngestKey } from './key-cache.ts';

const HOUR_MS = 3_600_000;
/** Delivery rows of alerts belong to no project (their counts are not a backend's). */
export const ALERTS_PROJECT_ID = 0;
/** Remembered locally so a flood from one dead key costs one database statement an hour. */
const MAX_REMEMBERED = 100_000;

export interface AlertSettings {
  url: string | undefined;
  secret: string | undefined;
}

export function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export class KeyAlerts {
  /** Per mark: until when this instance knows it was sent (by it or another). */
  private readonly known = new Map<string, number>();
  onError: (message: string, error: unknown) => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly spool: Spool,
    private readonly settings: AlertSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.settings.url !== undefined;
  }

  /** A request for a key that may not send (disabled, expired, rotated out). */
  usedWhileInactive(key: IngestKey, reason: 'disabled' | 'expired'): void {
    if (!this.enabled) return;
    const now = this.now();
    this.raise(`inactive:${key.id}`, now + HOUR_MS, () => ({
      type: 'key.used_while_inactive',
      key,
      extra: { reason, ...(key.expiresAt !== null ? { expiredAt: new Date(key.expiresAt).toISOString() } : {}), replacedBy: key.replacedBy },
    }));
  }

  /** A quota refused a request; `windowEnd` in unix seconds. */
  rateLimited(key: IngestKey, quota: { id: string; categories: readonly string[]; limit: number; window: number }, windowEnd: number): void {
    if (!this.enabled) return;
    this.raise(`rate:${quota.id}:${windowEnd}`, windowEnd * 1000, () => ({
      type: 'key.rate_limited',
      key,
      extra: { quota: { categories: [...quota.categories], count: quota.limit, window: quota.window }, until: new Date(windowEnd * 1000).toISOString() },
    }));
  }

  private raise(mark: string, until: number, compose: () => { type: string; key: IngestKey; extra: Record<string, unknown> }): void {
    const now = this.now();
    const knownUntil = this.known.get(mark);
    if (knownUntil !== undefined && knownUntil > now) return;
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.set(mark, until);
    void this.send(mark, now, until, compose()).catch((error: unknown) => {
      this.known.delete(mark);
      this.onError('queuing a key alert failed; the next request will try again', error);
    });
  }

  private async send(mark: string, now: number, until: number, alert: { type: string; key: IngestKey; extra: Record<string, unknown> }): Promise<void> {
    if (!(await this.db.stores.keyHealth.claimMark(mark, now, until))) return;
    const project = await this.db.stores.projects.byId(alert.key.projectId);
    const organization = project && (await this.db.stores.organizations.byId(project.organization_id));
    const row = project && (await this.db.stores.projectKeys.find(project.id, alert.key.publicKey, false));
    const body = JSON.stringify({
      type: alert.type,
      at: new Date(now).toISOString(),
      organization: organization ? { id: String(organization.id), slug: organization.slug } : null,
      project: project ? { id: String(project.id), slug: project.slug } : null,
      key: { id: alert.key.publicKey, name: row?.label ?? null },
      ...alert.extra,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'clientkeys-alerts' };
    if (this.settings.secret) headers['x-clientkeys-signature'] = signature(this.settings.secret, body);
    const queued = await this.spool.enqueue({
      projectId: ALERTS_PROJECT_ID,
      upstream: 'alerts',
      request: { url: this.settings.url as string, method: 'POST', headers, body: Buffer.from(body) },
      eventId: undefined,
    });
    if (!queued.ok) throw new Error(`the delivery queue refused the alert (${queued.reason})`);
  }
}
