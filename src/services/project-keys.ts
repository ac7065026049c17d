/**
 * Client keys: create, update, delete and page through them as Sentry's ProjectKeys endpoints do
 * (S:src/sentry/core/endpoints/project_keys.py, project_key_details.py). Each change is one
 * transaction with its audit entry. Expected failures are returned, not thrown.
 */
import {
  DEFAULT_BROWSER_SDK_VERSION,
  defaultKeyData,
  effectiveRateLimit,
  generateKey,
  generateLabel,
  KEY_STATUS,
  LOADER_OPTION_NAMES,
  parseKeyData,
  type LoaderOptionName,
  type LoaderOptions,
  type UseCase,
} from '../domain/keys.ts';
import { paginate, type Cursor, type PageResult } from '../domain/paginator.ts';
import { isoNow } from '../domain/time.ts';
import type { ChangeBus, ChangeEvent } from '../changes/bus.ts';
import { commitNotifying } from '../changes/postgres-bus.ts';
import type { AccessCache } from './access-cache.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { NewProjectKey, ProjectKeyRow, ProjectKeyUpdate, ProjectRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { KeyFilter } from '../storage/stores/project-keys.ts';
import { audit, keyAuditData } from './audit.ts';
import { addKey } from './key-writes.ts';
import { KEY_DEFAULTS_OPTION, parseKeyDefaults } from '../domain/key-defaults.ts';
import { mergePolicy, parsePolicy, storedPolicy, type KeyPolicy } from '../domain/key-policy.ts';
import type { Actor } from './principal.ts';

export interface RateLimitInput {
  count?: number | null | undefined;
  window?: number | null | undefined;
}

export interface CreateKeyInput {
  name?: string | null | undefined;
  rateLimit?: RateLimitInput | undefined;
  public?: string | null | undefined;
  secret?: string | null | undefined;
  /** Already reduced to "user" unless the caller is a superuser. */
  useCase: UseCase;
  /** clientkeys' policy fields; what is not given comes from the project's keyDefaults. */
  policy?: Partial<KeyPolicy> | undefined;
}

export interface UpdateKeyInput {
  name?: string | null | undefined;
  isActive?: boolean | null | undefined;
  rateLimit?: RateLimitInput | null | undefined;
  browserSdkVersion?: string | null | undefined;
  dynamicSdkLoaderOptions?: Partial<Record<LoaderOptionName, boolean | null | undefined>> | null | undefined;
  /** clientkeys' policy fields: a given field (a list) replaces the key's. */
  policy?: Partial<KeyPolicy> | undefined;
}

export type CreateKeyResult = { ok: true; key: ProjectKeyRow } | { ok: false; reason: 'duplicate'; field: 'public' | 'secret' };

export interface KeyPageRequest {
  cursor: Cursor | undefined;
  limit: number;
}

/** Sentry stores a rate limit only when both numbers are non-zero. */
function rateLimitColumns(input: RateLimitInput | undefined | null) {
  const limit = effectiveRateLimit(input?.count, input?.window);
  return { rate_limit_count: limit?.count ?? null, rate_limit_window: limit?.window ?? null };
}

export class ProjectKeyService {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeBus,
    private readonly cache: AccessCache,
  ) {}

  find(projectId: number, publicKey: string, userKeysOnly: boolean): Promise<ProjectKeyRow | undefined> {
    return this.db.stores.projectKeys.find(projectId, publicKey, userKeysOnly);
  }

  /** A key of any project by its public key (public keys are unique across the installation). */
  byPublicKey(publicKey: string): Promise<ProjectKeyRow | undefined> {
    return this.db.stores.projectKeys.byPublicKey(publicKey);
  }

  /**
   * When the key was last disabled, from the audit log of its organization (the newest `limit`
   * entries), or undefined.
   */
  async disabledAt(key: ProjectKeyRow, organizationId: number, limit = 1000): Promise<string | undefined> {
    const entries = await this.db.stores.auditLog.list(organizationId, limit);
    const disabled = (data: string) => (JSON.parse(data) as { status?: number }).status === KEY_STATUS.inactive;
    return entries.find((e) => e.target_object === key.id && e.event === 'projectkey.edit' && disabled(e.data))?.datetime;
  }

  /** Newest first (`order_by="-id"`), through Sentry's cursor paginator. */
  list(filter: KeyFilter, page: KeyPageRequest): Promise<PageResult<ProjectKeyRow>> {
    return paginate({
      cursor: page.cursor,
      limit: page.limit,
      descending: true,
      key: (row) => row.id,
      fetch: (request) => this.db.stores.projectKeys.page(filter, request),
    });
  }

  /**
   * One key and its audit entry, committed before the answer. On SQLite through the group commit
   * (concurrent creates share one transaction, each in its own savepoint, see commit-group.ts). On
   * PostgreSQL the key, its entry and the NOTIFY for the other instances are one statement, which
   * commits on its own: no BEGIN, no COMMIT, no second commit for the NOTIFY.
   */
  async create(project: ProjectRow, input: CreateKeyInput, actor: Actor): Promise<CreateKeyResult> {
    try {
      let key: ProjectKeyRow;
      if (this.db.dialect === 'postgres') {
        const stored = await this.cache.get(`key-defaults:${project.id}`, () => keyDefaultsOf(this.db.stores, project), () => true);
        const values = newKeyValues(project, input, stored);
        const event: ChangeEvent = { type: 'keys', publicKeys: [values.public_key] };
        const notifying = commitNotifying(this.changes);
        key = await addKey(this.db.stores, project.organization_id, values, actor, {}, notifying?.notification(event));
        if (notifying) notifying.announce(event);
        else await this.changes.publish(event);
      } else {
        key = await this.db.groupTransaction((stores) => insertKey(stores, project, input, actor));
        await this.changes.publish({ type: 'keys', publicKeys: [key.public_key] });
      }
      return { ok: true, key };
    } catch (error) {
      const column = uniqueViolation(error);
      if (column === 'public_key') return { ok: false, reason: 'duplicate', field: 'public' };
      if (column === 'secret_key') return { ok: false, reason: 'duplicate', field: 'secret' };
      throw error;
    }
  }

  async update(project: ProjectRow, key: ProjectKeyRow, input: UpdateKeyInput, actor: Actor): Promise<ProjectKeyRow> {
    const updated = await this.db.transaction(async (stores) => {
      const updated = await stores.projectKeys.update(key.id, updateColumns(key, input));
      const data: Record<string, unknown> = keyAuditData(updated);
      if (updated.rate_limit_count !== key.rate_limit_count || updated.rate_limit_window !== key.rate_limit_window) {
        data.prev_rate_limit_count = key.rate_limit_count;
        data.prev_rate_limit_window = key.rate_limit_window;
      }
      await audit(stores, { organizationId: project.organization_id, actor, event: 'projectkey.edit', targetObject: key.id, data });
      return updated;
    });
    await this.changes.publish({ type: 'keys', publicKeys: [key.public_key] });
    return updated;
  }

  async remove(project: ProjectRow, key: ProjectKeyRow, actor: Actor): Promise<void> {
    await this.db.transaction(async (stores) => {
      await stores.projectKeys.delete(key.id);
      await audit(stores, {
        organizationId: project.organization_id,
        actor,
        event: 'projectkey.remove',
        targetObject: key.id,
        data: keyAuditData(key),
      });
    });
    await this.changes.publish({ type: 'keys', publicKeys: [key.public_key] });
  }
}

/** A new key of the project from the create input and the project's key defaults, with its audit entry. */
export async function insertKey(stores: Stores, project: ProjectRow, input: CreateKeyInput, actor: Actor): Promise<ProjectKeyRow> {
  return addKey(stores, project.organization_id, newKeyValues(project, input, await keyDefaultsOf(stores, project)), actor);
}

function keyDefaultsOf(stores: Stores, project: ProjectRow): Promise<unknown> {
  return stores.projectOptions.get(project.id, KEY_DEFAULTS_OPTION);
}

/** The columns of a new key from the create input and the project's key defaults (the option as stored). */
function newKeyValues(project: ProjectRow, input: CreateKeyInput, storedDefaults: unknown): NewProjectKey {
  const defaults = parseKeyDefaults(storedDefaults);
  return {
    project_id: project.id,
    label: input.name || generateLabel(),
    public_key: input.public || generateKey(),
    secret_key: input.secret || generateKey(),
    status: KEY_STATUS.active,
    date_added: isoNow(),
    ...rateLimitColumns(input.rateLimit ?? defaults.rateLimit),
    data: JSON.stringify(defaultKeyData()),
    use_case: input.useCase,
    policy: storedPolicy(mergePolicy(defaults.policy, input.policy ?? {})),
  };
}

/** The partial-update rules of ProjectKeyDetailsEndpoint.put, in its order. */
function updateColumns(key: ProjectKeyRow, input: UpdateKeyInput): ProjectKeyUpdate {
  const patch: ProjectKeyUpdate = {};
  if (input.name) patch.label = input.name;

  const data = parseKeyData(key.data);
  data.browserSdkVersion = input.browserSdkVersion || DEFAULT_BROWSER_SDK_VERSION;
  const loader = knownLoaderOptions(input.dynamicSdkLoaderOptions);
  if (Object.keys(loader).length > 0) {
    data.dynamicSdkLoaderOptions = { ...data.dynamicSdkLoaderOptions, ...loader };
  }
  patch.data = JSON.stringify(data);

  if (input.policy && Object.values(input.policy).some((v) => v !== undefined)) {
    patch.policy = storedPolicy(mergePolicy(parsePolicy(key.policy), input.policy));
  }

  if (input.isActive === true) patch.status = KEY_STATUS.active;
  if (input.isActive === false) patch.status = KEY_STATUS.inactive;

  // An empty dict is falsy in Python: `{"rateLimit": {}}` changes nothing.
  const limit = input.rateLimit && Object.keys(input.rateLimit).length > 0 ? input.rateLimit : undefined;
  if (input.rateLimit === null || (limit && (limit.count == null || limit.window == null))) {
    patch.rate_limit_count = null;
    patch.rate_limit_window = null;
  } else if (limit) {
    // Sentry stores the pair as given here (0 included); the serializer shows null unless both are non-zero.
    patch.rate_limit_count = limit.count ?? null;
    patch.rate_limit_window = limit.window ?? null;
  }
  return patch;
}

function knownLoaderOptions(options: UpdateKeyInput['dynamicSdkLoaderOptions']): LoaderOptions {
  const known: LoaderOptions = {};
  if (!options) return known;
  for (const name of LOADER_OPTION_NAMES) {
    const value = options[name];
    if (typeof value === 'boolean') known[name] = value;
  }
  return known;
}
