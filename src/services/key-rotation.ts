/**
 * Key rotation with an overlap window (a clientkeys feature; Sentry has none): a successor key
 * with the same name, rate limit and loader options is created at once, and the old key keeps
 * working until the overlap ends, when it is refused everywhere. The end is stored on the old
 * key, so it holds across restarts; ingest compares it with the clock on every event, and a
 * periodic sweep marks the key inactive for the API (and the audit log) once its time has come.
 */
import { generateKey, KEY_STATUS, MAX_LABEL_LENGTH } from '../domain/keys.ts';
import { isoMicros, isoNow } from '../domain/time.ts';
import type { ChangeBus } from '../changes/bus.ts';
import type { Database } from '../storage/database.ts';
import type { ProjectKeyRow, ProjectRow } from '../storage/schema.ts';
import { audit, keyAuditData } from './audit.ts';
import { addKey } from './key-writes.ts';
import type { Actor } from './principal.ts';

export type RotateResult =
  | { ok: true; successor: ProjectKeyRow; previous: ProjectKeyRow }
  | { ok: false; reason: 'already_rotating'; replacedBy: string };

const SYSTEM: Actor = { userId: null, keyId: null, label: 'clientkeys (rotation overlap ended)', ipAddress: null };

/** "Backend (rotated 2026-11-23)", the name cut so the whole stays within 64 characters. */
export function successorName(label: string, now: Date): string {
  const suffix = ` (rotated ${now.toISOString().slice(0, 10)})`;
  const base = [...label.replace(/ \(rotated \d{4}-\d\d-\d\d\)$/, '')].slice(0, MAX_LABEL_LENGTH - suffix.length).join('');
  return `${base}${suffix}`;
}

export class KeyRotationService {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeBus,
    private readonly now: () => number = Date.now,
  ) {}

  async rotate(project: ProjectRow, key: ProjectKeyRow, overlapSeconds: number, actor: Actor): Promise<RotateResult> {
    const now = this.now();
    if (key.replaced_by !== null && (key.expires_at === null || Date.parse(key.expires_at) > now)) {
      return { ok: false, reason: 'already_rotating', replacedBy: key.replaced_by };
    }
    const ends = isoMicros(BigInt(now + overlapSeconds * 1000) * 1000n);
    const result = await this.db.transaction(async (stores) => {
      const successor = await addKey(stores, project.organization_id, {
        project_id: key.project_id,
        label: successorName(key.label, new Date(now)),
        public_key: generateKey(),
        secret_key: generateKey(),
        roles: key.roles,
        status: KEY_STATUS.active,
        date_added: isoNow(),
        rate_limit_count: key.rate_limit_count,
        rate_limit_window: key.rate_limit_window,
        data: key.data,
        use_case: key.use_case,
        // The successor keeps every rule the key had: rotating a leaked key must not lift its limits.
        policy: key.policy,
        replaces: key.public_key,
      }, actor, { replaces: key.public_key });
      const previous = await stores.projectKeys.update(key.id, {
        expires_at: ends,
        replaced_by: successor.public_key,
        // No overlap: the old key stops now, and says so at once.
        ...(overlapSeconds === 0 ? { status: KEY_STATUS.inactive } : {}),
      });
      await audit(stores, {
        organizationId: project.organization_id,
        actor,
        event: 'projectkey.edit',
        targetObject: key.id,
        data: { ...keyAuditData(previous), expires_at: ends, replaced_by: successor.public_key, overlap_seconds: overlapSeconds },
      });
      return { successor, previous };
    });
    await this.changes.publish({ type: 'keys', publicKeys: [key.public_key, result.successor.public_key] });
    return { ok: true, ...result };
  }

  /** Mark the keys whose overlap has ended inactive, once each, with an audit entry. */
  async sweep(): Promise<ProjectKeyRow[]> {
    const due = await this.db.stores.projectKeys.dueForExpiry(isoMicros(BigInt(this.now()) * 1000n));
    const expired: ProjectKeyRow[] = [];
    for (const key of due) {
      const done = await this.db.transaction(async (stores) => {
        const row = await stores.projectKeys.deactivate(key.id);
        if (!row) return undefined;
        const project = await stores.projects.byId(row.project_id);
        if (project) {
          await audit(stores, {
            organizationId: project.organization_id,
            actor: SYSTEM,
            event: 'projectkey.edit',
            targetObject: row.id,
            data: { ...keyAuditData(row), reason: 'rotation overlap ended' },
          });
        }
        return row;
      });
      if (done) expired.push(done);
    }
    if (expired.length > 0) await this.changes.publish({ type: 'keys', publicKeys: expired.map((k) => k.public_key) });
    return expired;
  }
}

/** Runs the sweep every `intervalMs` in a server; stopped on close. */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly rotation: KeyRotationService,
    private readonly intervalMs = 1000,
  ) {}

  start(onError: (error: unknown) => void): void {
    this.timer = setInterval(() => {
      this.running ??= this.rotation
        .sweep()
        .catch(onError)
        .finally(() => {
          this.running = undefined;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
