/**
 * A per-process cache of what every management request reads before its work: the credential
 * behind a token, the organization a URL names, the caller's membership and team roles there.
 * On PostgreSQL each was a round trip per request.
 *
 * Kept current three ways, so that nothing it holds outlives a change by more than a second:
 * - this process's own writes: every committed transaction clears it (`Database.onCommit`), so a
 *   request after a revocation on this instance never sees the revoked token;
 * - other instances' writes: the services that change who may do what publish an `access` change,
 *   which the change bus carries to every instance (LISTEN/NOTIFY on PostgreSQL, SQLite's data
 *   version for the CLI); any change but a key's clears it, a `resync` too;
 * - anything missed (a lost notification): no entry is served after `maxAgeMs`.
 * Only what was found is kept: an unknown token or slug is asked for again, so creating one needs
 * no invalidation. A clear drops loads still under way too: nothing read before a change is
 * served after it.
 */
import type { ChangeBus } from '../changes/bus.ts';

/** The longest any instance serves an entry: a revoked token is refused everywhere within it. */
export const ACCESS_CACHE_MAX_AGE_MS = 1000;
/** Past this many entries the cache starts afresh: a bound on its memory, not an eviction policy. */
export const ACCESS_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  value: Promise<unknown>;
  expires: number;
}

export class AccessCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs = ACCESS_CACHE_MAX_AGE_MS,
    private readonly maxEntries = ACCESS_CACHE_MAX_ENTRIES,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * What `load` finds for `key`, from the cache while fresh. `keep` says whether a result may be
   * kept (what was not found is not).
   */
  get<T>(key: string, load: () => Promise<T>, keep: (value: T) => boolean = (value) => value !== undefined): Promise<T> {
    const now = this.clock();
    const entry = this.entries.get(key);
    if (entry && entry.expires > now) return entry.value as Promise<T>;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    // Shared by concurrent callers while it loads; dropped if it fails or is not to be kept.
    this.entries.set(key, { value, expires: now + this.maxAgeMs });
    value.then(
      (found) => {
        if (!keep(found)) this.forget(key, value);
      },
      () => this.forget(key, value),
    );
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Clear on every change the bus carries but a key's (keys are the ingest key map's). */
  follow(changes: ChangeBus): () => void {
    return changes.subscribe((event) => {
      if (event.type !== 'keys') this.clear();
    });
  }

  private forget(key: string, value: Promise<unknown>): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }
}
