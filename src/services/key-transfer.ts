/**
 * Moving a project's client keys in and out as JSON, in the shape of Sentry's key list, so that
 * keys can move from a Sentry instance (or another clientkeys) without a single SDK changing its
 * DSN. An import is one transaction: every key in the file is there afterwards, or none is.
 */
import type { ChangeBus } from '../changes/bus.ts';
import { defaultKeyData, generateKey, generateLabel, KEY_STATUS, type KeyData } from '../domain/keys.ts';
import { START_CURSOR, type Cursor } from '../domain/paginator.ts';
import { isoMicros, isoNow } from '../domain/time.ts';
import type { ProjectKeyJson } from '../schemas/project-key.ts';
import type { ImportedKey } from '../schemas/key-file.ts';
import type { Database } from '../storage/database.ts';
import type { ProjectKeyRow, ProjectRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import { addKey } from './key-writes.ts';
import { loadDsnSettings, type KeySerializer } from './serializers/project-key.ts';
import type { Actor } from './principal.ts';
import type { ProjectKeyService } from './project-keys.ts';

export type Progress = (done: number, total: number) => void;

export type ImportResult =
  | { ok: true; created: ProjectKeyRow[]; alreadyPresent: ProjectKeyRow[] }
  /** The public key belongs to another project: keys are unique across a whole installation. */
  | { ok: false; reason: 'elsewhere'; publicKey: string; owner: { organizationSlug: string; projectSlug: string } | undefined }
  /** The public key is in this project already, with a different secret: not the same key. */
  | { ok: false; reason: 'different_secret'; publicKey: string }
  /** Another key already uses this secret. */
  | { ok: false; reason: 'secret_taken'; publicKey: string };

type Refusal = Extract<ImportResult, { ok: false }>;

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/** Sentry's timestamps carry microseconds ("…:05.678901Z"); others are brought to that form. */
function normalizeDate(value: string | undefined): string {
  if (value === undefined) return isoNow();
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(value)) return value;
  return isoMicros(BigInt(Date.parse(value)) * 1000n);
}

/**
 * The file lists keys as the API does, newest first; they are created oldest first, so that their
 * ids, and so the API's order, stay as they were. A key listed twice (pages fetched while keys
 * were added) counts once.
 */
function oldestFirst(keys: ImportedKey[]): ImportedKey[] {
  return [...new Map(keys.map((k) => [k.publicKey, k] as const)).values()].reverse();
}

export class KeyTransferService {
  constructor(
    private readonly db: Database,
    private readonly keys: ProjectKeyService,
    private readonly serializer: KeySerializer,
    private readonly changes: ChangeBus,
  ) {}

  /** Every key of the project as the API shows it to a superuser (use case included), newest first. */
  async exportKeys(project: ProjectRow, onProgress?: Progress): Promise<ProjectKeyJson[]> {
    const filter = { projectIds: [project.id], userKeysOnly: false };
    const total = await this.db.stores.projectKeys.count(filter);
    const out: ProjectKeyJson[] = [];
    onProgress?.(0, total);
    let cursor: Cursor | undefined = START_CURSOR;
    const dsn = await loadDsnSettings(this.db.stores, project.organization_id);
    while (cursor) {
      const page = await this.keys.list(filter, { cursor, limit: 100 });
      out.push(...page.results.map((row) => this.serializer.serialize(row, { includeUseCase: true, dsn })));
      onProgress?.(out.length, Math.max(total, out.length));
      cursor = page.next.hasResults ? page.next : undefined;
    }
    return out;
  }

  /**
   * Create the keys the project does not have yet, in one transaction with an audit entry each.
   * Keys already in the project (same public and secret key) are left as they are, so importing
   * the same file twice changes nothing.
   */
  async importKeys(project: ProjectRow, keys: ImportedKey[], actor: Actor, onProgress?: Progress): Promise<ImportResult> {
    const ordered = oldestFirst(keys);
    let result: Extract<ImportResult, { ok: true }>;
    try {
      result = await this.db.transaction(async (stores) => {
        const created: ProjectKeyRow[] = [];
        const alreadyPresent: ProjectKeyRow[] = [];
        onProgress?.(0, ordered.length);
        for (const [index, key] of ordered.entries()) {
          const existing = await stores.projectKeys.byPublicKey(key.publicKey);
          if (existing) {
            if (existing.project_id !== project.id) throw new Refused(await this.elsewhere(stores, key, existing));
            if (key.secretKey !== undefined && key.secretKey !== existing.secret_key) {
              throw new Refused({ ok: false, reason: 'different_secret', publicKey: key.publicKey });
            }
            alreadyPresent.push(existing);
          } else {
            if (key.secretKey !== undefined && (await stores.projectKeys.bySecretKey(key.secretKey))) {
              throw new Refused({ ok: false, reason: 'secret_taken', publicKey: key.publicKey });
            }
            created.push(await insertImported(stores, project, key, actor));
          }
          onProgress?.(index + 1, ordered.length);
        }
        return { ok: true as const, created, alreadyPresent };
      });
    } catch (error) {
      if (error instanceof Refused) return error.refusal;
      throw error;
    }
    if (result.created.length > 0) await this.changes.publish({ type: 'keys', publicKeys: result.created.map((k) => k.public_key) });
    return result;
  }

  private async elsewhere(stores: Stores, key: ImportedKey, existing: ProjectKeyRow): Promise<Refusal> {
    const project = await stores.projects.byId(existing.project_id);
    const organization = project && (await stores.organizations.byId(project.organization_id));
    return {
      ok: false,
      reason: 'elsewhere',
      publicKey: key.publicKey,
      owner: project && organization ? { organizationSlug: organization.slug, projectSlug: project.slug } : undefined,
    };
  }
}

async function insertImported(stores: Stores, project: ProjectRow, key: ImportedKey, actor: Actor): Promise<ProjectKeyRow> {
  // What the file does not say is what a key created here would have.
  const data: KeyData = key.loaderOptions ? { dynamicSdkLoaderOptions: key.loaderOptions } : defaultKeyData();
  if (key.browserSdkVersion !== undefined) data.browserSdkVersion = key.browserSdkVersion;
  return addKey(stores, project.organization_id, {
    project_id: project.id,
    label: key.label || generateLabel(),
    public_key: key.publicKey,
    secret_key: key.secretKey ?? generateKey(),
    status: key.isActive ? KEY_STATUS.active : KEY_STATUS.inactive,
    date_added: normalizeDate(key.dateCreated),
    rate_limit_count: key.rateLimit?.count ?? null,
    rate_limit_window: key.rateLimit?.window ?? null,
    data: JSON.stringify(data),
    use_case: key.useCase,
  }, actor, { imported: true });
}
