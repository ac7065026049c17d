/**
 * The ingest key map's storage: every loaded key in a few typed arrays, ~70 bytes a key where an
 * object per key (and a string for its public key) took ~210 — 100,000 keys hold ~7 MB of array
 * buffers, not 21 MB of heap (BENCHMARKS.md, "Cold start and memory"). A public key is 32 hex digits (KEY_PATTERN), kept as four
 * 32-bit words and found through an open-addressing hash table of row numbers. What many keys
 * share (a project's facts, loader data) is held once and referenced by number; what few keys have
 * (a successor, a policy) lives in maps beside the columns.
 *
 * `get` answers an IngestKey object built from the columns. The last few thousand built are kept,
 * so a busy key is one object from one request to the next (the quota plans of quotas.ts are
 * cached by that identity) and a request allocates nothing for it.
 */
import { effectiveRateLimit, expiryMs, parseKeyData, type KeyData } from '../domain/keys.ts';
import { deepFreeze } from '../domain/deep-freeze.ts';
import { compilePolicy, type CompiledPolicy } from '../domain/key-policy.ts';
import { compileAllowedOrigins, type OriginCheck } from '../domain/origins.ts';
import { upstreamTarget, type UpstreamTarget } from '../gateway/upstream-target.ts';
import type { IngestKeyRow } from '../storage/stores/project-keys.ts';
import { PROJECT_STATUS_ACTIVE } from '../storage/stores/projects.ts';
import type { IngestKey } from './key-cache.ts';
import { SharedValues } from './shared-values.ts';

/** What all of a project's keys share. */
interface ProjectFacts {
  projectId: number;
  organizationId: number;
  projectActive: boolean;
  allowedOrigins: OriginCheck;
  upstream: UpstreamTarget | undefined;
}

/** Keys built by `get` and kept for the next request: enough for every key an instance sees busy. */
const BUILT_KEYS = 4096;
const FIRST_CAPACITY = 64;
const EMPTY = -1;

const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) HEX_DIGIT[d.toString(16).charCodeAt(0)] = d;

/** The public key's four words into `out`; false for anything but 32 lowercase hex digits. */
function keyWords(publicKey: string, out: Uint32Array): boolean {
  if (publicKey.length !== 32) return false;
  for (let w = 0; w < 4; w++) {
    let value = 0;
    for (let i = w * 8, end = i + 8; i < end; i++) {
      const code = publicKey.charCodeAt(i);
      const digit = code < 128 ? (HEX_DIGIT[code] as number) : -1;
      if (digit < 0) return false;
      value = (value << 4) | digit;
    }
    out[w] = value >>> 0;
  }
  return true;
}

function wordsText(words: Uint32Array, at: number): string {
  let text = '';
  for (let w = 0; w < 4; w++) text += (words[at + w] as number).toString(16).padStart(8, '0');
  return text;
}

/**
 * Keys are random, but an operator may import chosen ones: a per-process seed keeps anyone from
 * choosing keys that all land in one run of the table.
 */
const SEED = (Math.random() * 0x1_0000_0000) >>> 0;

function hashWords(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(SEED ^ w0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w2, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w3, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

const scratch = new Uint32Array(4);

export class KeyTable {
  private capacity = 0;
  private used = 0;
  private readonly freeRows: number[] = [];
  private words = new Uint32Array(0);
  private ids = new Float64Array(0);
  private statuses = new Uint8Array(0);
  private roles = new Uint8Array(0);
  /** 0 for none: a limit applies only when both are set and non-zero (effectiveRateLimit). */
  private rateLimitCounts = new Uint32Array(0);
  private rateLimitWindows = new Uint32Array(0);
  private expiries = new Float64Array(0);
  private projectOf = new Int32Array(0);
  private dataOf = new Int32Array(0);
  private readonly successors = new Map<number, string>();
  private readonly policies = new Map<number, CompiledPolicy>();
  private readonly projects = new SharedValues<ProjectFacts>();
  private readonly data = new SharedValues<KeyData>();
  /** Row number of each slot, EMPTY where none; linear probing, at most half full. */
  private slots = new Int32Array(0);
  private live = 0;
  private readonly built = new Map<string, IngestKey>();

  /** A key built from its row alone, held by no table (a lookup that raced with a change). */
  static one(row: IngestKeyRow): IngestKey | undefined {
    const table = new KeyTable();
    table.set(row);
    return table.get(row.public_key);
  }

  get size(): number {
    return this.live;
  }

  get(publicKey: string): IngestKey | undefined {
    const hit = this.built.get(publicKey);
    if (hit) return hit;
    const row = this.rowOf(publicKey);
    if (row === EMPTY) return undefined;
    const key = this.build(row, publicKey);
    if (this.built.size >= BUILT_KEYS) this.built.delete(this.built.keys().next().value as string);
    this.built.set(publicKey, key);
    return key;
  }

  /** Add a key, or replace the one with its public key. A key that is not 32 hex digits cannot be asked for, and is left out. */
  set(source: IngestKeyRow): void {
    this.put(source, true);
  }

  /** Add a key unless one with its public key is held (which may be newer than this row). */
  add(source: IngestKeyRow): void {
    this.put(source, false);
  }

  delete(publicKey: string): boolean {
    this.built.delete(publicKey);
    if (this.live === 0 || !keyWords(publicKey, scratch)) return false;
    const slot = this.probeScratch();
    if (this.slots[slot] === EMPTY) return false;
    this.removeAt(slot);
    return true;
  }

  private put(source: IngestKeyRow, replace: boolean): void {
    if (!keyWords(source.public_key, scratch)) return;
    if (this.live > 0) {
      const slot = this.probeScratch();
      if (this.slots[slot] !== EMPTY) {
        if (!replace) return;
        this.built.delete(source.public_key);
        this.removeAt(slot);
      }
    }
    if (this.used === this.capacity && this.freeRows.length === 0) this.growRows();
    if ((this.live + 1) * 2 > this.slots.length) this.rehash(Math.max(FIRST_CAPACITY * 2, this.slots.length * 2));
    const row = this.freeRows.pop() ?? this.used++;
    this.words.set(scratch, row * 4);
    this.ids[row] = source.id;
    this.statuses[row] = source.status;
    this.roles[row] = source.roles;
    const rateLimit = effectiveRateLimit(source.rate_limit_count, source.rate_limit_window);
    this.rateLimitCounts[row] = rateLimit?.count ?? 0;
    this.rateLimitWindows[row] = rateLimit?.window ?? 0;
    this.expiries[row] = expiryMs(source.expires_at) ?? Number.NaN;
    this.projectOf[row] = this.projects.acquire(projectText(source), () => projectFacts(source));
    this.dataOf[row] = this.data.acquire(source.data, () => deepFreeze(parseKeyData(source.data)));
    if (source.replaced_by !== null) this.successors.set(row, source.replaced_by);
    const policy = compilePolicy(source.id, source.policy);
    if (policy) this.policies.set(row, policy);
    this.slots[this.probeRow(row)] = row;
    this.live += 1;
  }

  /** Forget the key in this slot and everything its row held. */
  private removeAt(slot: number): void {
    const row = this.slots[slot] as number;
    this.removeSlot(slot);
    this.projects.release(this.projectOf[row] as number);
    this.data.release(this.dataOf[row] as number);
    this.successors.delete(row);
    this.policies.delete(row);
    this.freeRows.push(row);
    this.live -= 1;
  }

  /** The public keys of a project's keys. */
  projectKeys(projectId: number): string[] {
    const found: string[] = [];
    for (let slot = 0; slot < this.slots.length; slot++) {
      const row = this.slots[slot] as number;
      if (row !== EMPTY && this.projects.value(this.projectOf[row] as number).projectId === projectId) found.push(wordsText(this.words, row * 4));
    }
    return found;
  }

  clear(): void {
    this.capacity = 0;
    this.used = 0;
    this.live = 0;
    this.freeRows.length = 0;
    this.growRows(false);
    this.slots = new Int32Array(0);
    this.successors.clear();
    this.policies.clear();
    this.projects.clear();
    this.data.clear();
    this.built.clear();
  }

  private build(row: number, publicKey: string): IngestKey {
    const project = this.projects.value(this.projectOf[row] as number);
    const expiry = this.expiries[row] as number;
    return {
      id: this.ids[row] as number,
      publicKey,
      projectId: project.projectId,
      organizationId: project.organizationId,
      status: this.statuses[row] as number,
      roles: this.roles[row] as number,
      projectActive: project.projectActive,
      rateLimit: effectiveRateLimit(this.rateLimitCounts[row], this.rateLimitWindows[row]),
      data: this.data.value(this.dataOf[row] as number),
      expiresAt: Number.isNaN(expiry) ? null : expiry,
      replacedBy: this.successors.get(row) ?? null,
      allowedOrigins: project.allowedOrigins,
      upstream: project.upstream,
      policy: this.policies.get(row),
    };
  }

  private rowOf(publicKey: string): number {
    if (this.live === 0 || !keyWords(publicKey, scratch)) return EMPTY;
    return this.slots[this.probeScratch()] as number;
  }

  /** `probe` for the words last parsed into `scratch`. */
  private probeScratch(): number {
    return this.probe(scratch[0] as number, scratch[1] as number, scratch[2] as number, scratch[3] as number);
  }

  /** `probe` for a row's own words. */
  private probeRow(row: number): number {
    const words = this.words;
    const at = row * 4;
    return this.probe(words[at] as number, words[at + 1] as number, words[at + 2] as number, words[at + 3] as number);
  }

  /** The slot holding these words, or the empty slot where they would go. */
  private probe(w0: number, w1: number, w2: number, w3: number): number {
    const mask = this.slots.length - 1;
    const words = this.words;
    for (let slot = hashWords(w0, w1, w2, w3) & mask; ; slot = (slot + 1) & mask) {
      const row = this.slots[slot] as number;
      if (row === EMPTY) return slot;
      const at = row * 4;
      if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) return slot;
    }
  }

  /** Empty a slot and move later members of its run back, so no lookup stops short of its key. */
  private removeSlot(slot: number): void {
    const mask = this.slots.length - 1;
    let hole = slot;
    for (let next = (hole + 1) & mask; ; next = (next + 1) & mask) {
      const row = this.slots[next] as number;
      if (row === EMPTY) break;
      const at = row * 4;
      const home = hashWords(this.words[at] as number, this.words[at + 1] as number, this.words[at + 2] as number, this.words[at + 3] as number) & mask;
      // Movable when its home is not in the (cyclic) stretch after the hole up to where it sits.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.slots[hole] = row;
        hole = next;
      }
    }
    this.slots[hole] = EMPTY;
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size).fill(EMPTY);
    for (let slot = 0; slot < old.length; slot++) {
      const row = old[slot] as number;
      if (row !== EMPTY) this.slots[this.probeRow(row)] = row;
    }
  }

  /** Room for twice the rows, those there are copied over (or, after a clear, the first rows' room). */
  private growRows(keep = true): void {
    const capacity = this.capacity === 0 ? FIRST_CAPACITY : this.capacity * 2;
    this.words = grown(this.words, capacity * 4, keep);
    this.ids = grown(this.ids, capacity, keep);
    this.statuses = grown(this.statuses, capacity, keep);
    this.roles = grown(this.roles, capacity, keep);
    this.rateLimitCounts = grown(this.rateLimitCounts, capacity, keep);
    this.rateLimitWindows = grown(this.rateLimitWindows, capacity, keep);
    this.expiries = grown(this.expiries, capacity, keep);
    this.projectOf = grown(this.projectOf, capacity, keep);
    this.dataOf = grown(this.dataOf, capacity, keep);
    this.capacity = capacity;
  }
}

type Column = Uint32Array | Float64Array | Uint8Array | Int32Array;

function grown<C extends Column>(column: C, length: number, keep: boolean): C {
  const next = new (column.constructor as new (length: number) => C)(length);
  if (keep) next.set(column);
  return next;
}

/** Everything ProjectFacts is made of, as one text: keys with the same text share one. */
function projectText(row: IngestKeyRow): string {
  return JSON.stringify([row.project_id, row.organization_id, row.project_status, row.allowed_domains, row.upstream_dsn]);
}

function projectFacts(row: IngestKeyRow): ProjectFacts {
  return {
    projectId: row.project_id,
    organizationId: row.organization_id,
    projectActive: row.project_status === PROJECT_STATUS_ACTIVE,
    allowedOrigins: row.allowed_domains === null ? undefined : allowedOrigins(row.allowed_domains),
    upstream: upstreamTarget(row.upstream_dsn),
  };
}

/**
 * A project's allowed domains as stored (a JSON list). Only the API writes the option, always a
 * list of strings; anything else reads as Sentry's default.
 */
function allowedOrigins(stored: string): OriginCheck {
  let domains: unknown;
  try {
    domains = JSON.parse(stored);
  } catch {
    domains = null;
  }
  return Array.isArray(domains) ? compileAllowedOrigins(domains.filter((d): d is string => typeof d === 'string')) : undefined;
}
