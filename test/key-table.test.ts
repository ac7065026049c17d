/**
 * The key map's columns against the plainest model of them, a Map of rows: any sequence of adds,
 * replacements and removals answers the same keys with the same fields, whatever the table's size
 * (small tables force long probe runs and wrap-arounds), and what keys share is let go with them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../src/ingest/key-table.ts';
import { SharedValues } from '../src/ingest/shared-values.ts';
import type { IngestKeyRow } from '../src/storage/stores/project-keys.ts';

const HEX = '0123456789abcdef';

function row(publicKey: string, n: number): IngestKeyRow {
  return {
    id: n,
    public_key: publicKey,
    project_id: 1 + (n % 3),
    organization_id: 10 + (n % 2),
    status: n % 2,
    roles: 1 + (n % 3 === 0 ? 2 : 0),
    project_status: n % 5 === 0 ? 1 : 0,
    rate_limit_count: n % 4 === 0 ? 100 + n : null,
    rate_limit_window: n % 4 === 0 ? 60 : null,
    data: n % 7 === 0 ? '{"browserSdkVersion":"9.x"}' : '{}',
    expires_at: n % 6 === 0 ? '2026-12-04T10:00:00.000Z' : null,
    replaced_by: n % 8 === 0 ? 'f'.repeat(32) : null,
    allowed_domains: n % 9 === 0 ? '["https://app.example.com"]' : null,
    upstream_dsn: null,
    policy: n % 10 === 0 ? '{"allowedIps":["10.0.0.0/8"]}' : null,
  };
}

/** The fields the gate reads, as the table answers them and as the row says they must be. */
function fields(table: KeyTable, publicKey: string) {
  const key = table.get(publicKey);
  return key && { ...key, allowedOrigins: key.allowedOrigins !== undefined, policy: key.policy === undefined ? null : key.policy.allowed !== undefined };
}

function expected(r: IngestKeyRow) {
  return {
    id: r.id,
    publicKey: r.public_key,
    projectId: r.project_id,
    organizationId: r.organization_id,
    status: r.status,
    roles: r.roles,
    projectActive: r.project_status === 0,
    rateLimit: r.rate_limit_count === null ? null : { count: r.rate_limit_count, window: r.rate_limit_window },
    data: JSON.parse(r.data),
    expiresAt: r.expires_at === null ? null : Date.parse(r.expires_at),
    replacedBy: r.replaced_by,
    allowedOrigins: r.allowed_domains !== null,
    upstream: undefined,
    policy: r.policy === null ? null : true,
  };
}

// Keys that share their first words land near one another in no particular way; a few hundred
// distinct keys over a table that starts at 64 rows make it grow, rehash and wrap.
const keyArb = fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 32, maxLength: 32 }).map((d) => d.map((i) => HEX[i]).join(''));
const opArb = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: keyArb, n: fc.nat(1000) }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('project' as const), projectId: fc.integer({ min: 1, max: 3 }) }),
);

describe('the key table', () => {
  it('answers what a Map of the same rows answers, after any adds, replacements and removals', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const table = new KeyTable();
        const model = new Map<string, IngestKeyRow>();
        for (const step of ops) {
          if (step.op === 'set') {
            const r = row(step.key, step.n);
            table.set(r);
            model.set(step.key, r);
          } else if (step.op === 'delete') {
            const keys = [...model.keys()];
            const key = keys.length > 0 ? (keys[step.pick % keys.length] as string) : 'a'.repeat(32);
            expect(table.delete(key)).toBe(model.delete(key));
          } else {
            const found = table.projectKeys(step.projectId).sort();
            const wanted = [...model.values()].filter((r) => r.project_id === step.projectId).map((r) => r.public_key).sort();
            expect(found).toEqual(wanted);
            for (const key of found) table.delete(key), model.delete(key);
          }
        }
        expect(table.size).toBe(model.size);
        for (const [key, r] of model) expect(fields(table, key)).toEqual(expected(r));
      }),
      { numRuns: 200 },
    );
  });

  it('holds 20,000 keys and finds each, and none that it does not hold', () => {
    const table = new KeyTable();
    const keys = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(32, '0'));
    keys.forEach((key, i) => table.set(row(key, i)));
    expect(table.size).toBe(20_000);
    expect(keys.every((key, i) => table.get(key)?.id === i)).toBe(true);
    expect(table.get('f'.repeat(32))).toBeUndefined();
    for (const key of keys.slice(0, 10_000)) table.delete(key);
    expect(table.size).toBe(10_000);
    expect(keys.slice(10_000).every((key, i) => table.get(key)?.id === i + 10_000)).toBe(true);
    expect(keys.slice(0, 10_000).some((key) => table.get(key) !== undefined)).toBe(false);
  });

  it('refuses what is not a public key, without a lookup', () => {
    const table = new KeyTable();
    table.set(row('a'.repeat(32), 1));
    for (const text of ['A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), `${'a'.repeat(31)}g`, `${'a'.repeat(31)}é`, '']) {
      expect(table.get(text)).toBeUndefined();
      expect(table.delete(text)).toBe(false);
    }
    // A stored key that is not 32 hex digits could never be asked for: it is not held either.
    table.set(row('not-a-key', 2));
    expect(table.size).toBe(1);
  });

  it('adds a key only where none is held, and replaces it when told to', () => {
    const table = new KeyTable();
    const key = 'd'.repeat(32);
    table.set(row(key, 1));
    table.add(row(key, 2));
    expect(table.get(key)?.id).toBe(1);
    table.set(row(key, 3));
    expect(table.get(key)?.id).toBe(3);
    expect(table.size).toBe(1);
  });

  it('answers one object per key while it is busy, and a new one after the key changes', () => {
    const table = new KeyTable();
    const key = 'c'.repeat(32);
    table.set(row(key, 4));
    const first = table.get(key);
    expect(table.get(key)).toBe(first);
    table.set({ ...row(key, 4), rate_limit_count: 7 });
    const changed = table.get(key);
    expect(changed).not.toBe(first);
    expect(changed?.rateLimit).toEqual({ count: 7, window: 60 });
  });

  it('shares what keys of one project share', () => {
    const table = new KeyTable();
    table.set(row('1'.repeat(32), 9));
    table.set(row('2'.repeat(32), 27));
    const one = table.get('1'.repeat(32));
    expect(one?.allowedOrigins).toBeDefined();
    // Same project, same allowed domains: one compiled check for both.
    expect(table.get('2'.repeat(32))?.allowedOrigins).toBe(one?.allowedOrigins);
    table.set({ ...row('3'.repeat(32), 9), allowed_domains: '["https://other.example.com"]' });
    expect(table.get('3'.repeat(32))?.allowedOrigins).not.toBe(one?.allowedOrigins);
  });
});

describe('shared values', () => {
  it('makes a value once for all its holders, and again only after the last let it go', () => {
    const values = new SharedValues<{ text: string }>();
    let made = 0;
    const make = (text: string) => () => ((made += 1), { text });
    const first = values.acquire('x', make('x'));
    expect(values.acquire('x', make('x'))).toBe(first);
    expect(made).toBe(1);
    values.release(first);
    expect(values.value(values.acquire('x', make('x')))).toEqual({ text: 'x' });
    expect(made).toBe(1);
    values.release(first);
    values.release(first);
    const again = values.acquire('x', make('x'));
    expect(made).toBe(2);
    // The number is reused, not a new slot per change.
    expect(again).toBe(first);
    expect(values.acquire('y', make('y'))).not.toBe(again);
  });
});
