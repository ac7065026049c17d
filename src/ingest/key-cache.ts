/**
 * Client keys as the ingest gate sees them, served from memory so an event costs no database
 * round trip. Every key is loaded at start; a change published on the ChangeBus drops the changed
 * keys at once (so a disabled key is refused by the next request) and reloads them. A key that is
 * not in memory is looked up once; an unknown one is remembered as unknown for a few seconds so a
 * flood of bad keys cannot turn into a flood of queries (a bus event still clears it at once).
 */
import type { ChangeBus, ChangeEvent } from '../changes/bus.ts';
import { KEY_PATTERN, type KeyData, type KeyLiveness, type RateLimit } from '../domain/keys.ts';
import type { CompiledPolicy } from '../domain/key-policy.ts';
import type { OriginCheck } from '../domain/origins.ts';
import type { UpstreamTarget } from '../gateway/upstream-target.ts';
import type { IngestKeyPage, IngestKeyRow } from '../storage/stores/project-keys.ts';
import { KeyTable } from './key-table.ts';

/** Whether it may send now is `keyIsLive(key, now)` (src/domain/keys.ts). */
export interface IngestKey extends KeyLiveness {
  id: number;
  publicKey: string;
  projectId: number;
  organizationId: number;
  projectActive: boolean;
  rateLimit: RateLimit | null;
  data: KeyData;
  /** The public key of its successor once the key has been rotated, or null. */
  replacedBy: string | null;
  /** The project's allowed domains; undefined when every origin is (Sentry's default). */
  allowedOrigins: OriginCheck;
  /** The project's backend (gateway mode), or undefined. */
  upstream: UpstreamTarget | undefined;
  /** The key's quotas and IP and origin rules; undefined for a key without any. */
  policy: CompiledPolicy | undefined;
}

/** Where keys come from: the project-key store, by public key or every key a page at a time. */
export type KeySource = (publicKeys?: readonly string[], page?: IngestKeyPage) => Promise<IngestKeyRow[]>;

export interface KeyCacheOptions {
  negativeTtlMs?: number;
  negativeMaxEntries?: number;
  now?: () => number;
}

/**
 * Keys read and added to the map at a time while warming: a page's rows are garbage before the next
 * is read, so the load's peak memory is one page, not every row at once.
 */
const WARM_PAGE = 5000;

export class KeyCache {
  private readonly keys = new KeyTable();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<IngestKey | undefined>>();
  /** Bumped on every change, so a lookup that raced with a change does not store what it read. */
  private version = 0;
  private readonly unsubscribe: () => void;
  private readonly negativeTtlMs: number;
  private readonly negativeMaxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly source: KeySource,
    changes: ChangeBus,
    options: KeyCacheOptions = {},
  ) {
    this.negativeTtlMs = options.negativeTtlMs ?? 5000;
    this.negativeMaxEntries = options.negativeMaxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.unsubscribe = changes.subscribe((event) => this.onChange(event));
  }

  /**
   * Load every key, so the first events of each are served from memory too. A server does this in
   * the background: until a key is in, a request for it looks it up on its own, so none is refused
   * for not being loaded yet. The map is filled a page at a time, requests taking their turn between
   * pages; a change during the load stops it (what it would still add may be older than the change).
   */
  async warm(): Promise<void> {
    const version = this.version;
    let after = '';
    for (;;) {
      const rows = await this.source(undefined, { after, limit: WARM_PAGE });
      if (version !== this.version) return;
      for (const row of rows) this.keys.add(row);
      if (rows.length < WARM_PAGE) return;
      after = (rows[rows.length - 1] as IngestKeyRow).public_key;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** How many keys the map holds. */
  get size(): number {
    return this.keys.size;
  }

  /** The key, from memory when possible; undefined for a key that does not exist. */
  get(publicKey: string): IngestKey | undefined | Promise<IngestKey | undefined> {
    const hit = this.keys.get(publicKey);
    if (hit) return hit;
    // Keys are 32 lowercase hex characters by construction: anything else cannot exist, and costs no query.
    if (!KEY_PATTERN.test(publicKey)) return undefined;
    const unknownUntil = this.unknown.get(publicKey);
    if (unknownUntil !== undefined) {
      if (unknownUntil > this.now()) return undefined;
      this.unknown.delete(publicKey);
    }
    const pending = this.pending.get(publicKey);
    if (pending) return pending;
    const lookup: Promise<IngestKey | undefined> = this.load(publicKey).finally(() => {
      if (this.pending.get(publicKey) === lookup) this.pending.delete(publicKey);
    });
    this.pending.set(publicKey, lookup);
    return lookup;
  }

  close(): void {
    this.unsubscribe();
  }

  private async load(publicKey: string): Promise<IngestKey | undefined> {
    const version = this.version;
    const [row] = await this.source([publicKey]);
    if (version !== this.version) return row ? KeyTable.one(row) : undefined;
    if (!row) return this.rememberUnknown(publicKey);
    this.keys.set(row);
    return this.keys.get(publicKey);
  }

  private rememberUnknown(publicKey: string): undefined {
    if (this.unknown.size >= this.negativeMaxEntries) {
      const oldest = this.unknown.keys().next();
      if (!oldest.done) this.unknown.delete(oldest.value);
    }
    this.unknown.set(publicKey, this.now() + this.negativeTtlMs);
    return undefined;
  }

  private onChange(event: ChangeEvent): void {
    // Credentials and memberships are not the key map's.
    if (event.type === 'access') return;
    this.version += 1;
    if (event.type === 'resync') {
      // Changes may have been missed: forget everything and load afresh. Meanwhile each key is
      // looked up on its own, so nothing stale is served.
      this.keys.clear();
      this.unknown.clear();
      this.pending.clear();
      void this.warm().catch(() => {});
      return;
    }
    let changed: string[];
    if (event.type === 'keys') {
      changed = event.publicKeys;
    } else {
      changed = this.keys.projectKeys(event.projectId);
    }
    for (const publicKey of changed) {
      this.keys.delete(publicKey);
      this.unknown.delete(publicKey);
      this.pending.delete(publicKey);
    }
    if (changed.length > 0) void this.refresh(changed);
  }

  /** Reload changed keys in the background; a request before it lands looks the key up itself. */
  private async refresh(publicKeys: string[]): Promise<void> {
    const version = this.version;
    try {
      const rows = await this.source(publicKeys);
      if (version !== this.version) return;
      for (const row of rows) this.keys.set(row);
    } catch {
      // The next request for these keys looks them up again.
    }
  }
}
