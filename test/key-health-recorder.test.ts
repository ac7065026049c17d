/**
 * The key health recorder keeps times as numbers on the hot path (issue 20); what it hands out —
 * to the health endpoint and to the store — is still ISO 8601, the latest time winning when a
 * failed flush is merged back.
 */
import { describe, expect, it } from 'vitest';
import { KeyHealthRecorder } from '../src/ingest/key-health.ts';
import { KeyHealthService } from '../src/services/key-health.ts';
import type { ProjectKeyRow } from '../src/storage/schema.ts';
import type { ActivityDelta, KeyHealthStore, RefusalDelta } from '../src/storage/stores/key-health.ts';

const T = Date.UTC(2026, 11, 3, 12, 30, 15, 123);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A store that keeps what it is given, or fails when told to. */
function store(fail = () => false) {
  const written = { refusals: [] as RefusalDelta[], activity: [] as ActivityDelta[] };
  const s = {
    addRefusals: async (d: RefusalDelta[]) => {
      if (fail()) throw new Error('down');
      written.refusals.push(...d);
    },
    addDiscards: async () => {},
    touch: async (d: ActivityDelta[]) => {
      written.activity.push(...d);
    },
    refusals: async () => [],
    discards: async () => [],
    activity: async () => undefined,
  };
  return { store: s as unknown as KeyHealthStore, written };
}

describe('key health recorder', () => {
  it('answers ISO times through the health endpoint and to the store', async () => {
    const recorder = new KeyHealthRecorder();
    recorder.accepted(7, T);
    recorder.refused(7, 'ip', T + 1000);
    recorder.refused(7, 'ip', T + 2000);
    recorder.refused(7, 'origin', T + 3000);
    const { store: s, written } = store();
    const service = new KeyHealthService(s, recorder, () => T + 5000);
    const answer = await service.health({ id: 7 } as ProjectKeyRow);
    expect(answer.lastAccepted).toBe(new Date(T).toISOString());
    expect(answer.lastRefused).toBe(new Date(T + 3000).toISOString());
    expect(answer.lastAccepted).toMatch(ISO);
    expect(answer.refused).toMatchObject({ ip: 2, origin: 1, disabled: 0 });
    expect((await service.health({ id: 8 } as ProjectKeyRow)).lastAccepted).toBeNull();

    await recorder.flush(s);
    expect(written.activity).toEqual([{ keyId: 7, lastAcceptedAt: new Date(T).toISOString(), lastRefusedAt: new Date(T + 3000).toISOString() }]);
    const hour = Math.floor(T / 1000) - (Math.floor(T / 1000) % 3600);
    expect(written.refusals.sort((a, b) => a.reason.localeCompare(b.reason))).toEqual([
      { keyId: 7, ts: hour, reason: 'ip', count: 2 },
      { keyId: 7, ts: hour, reason: 'origin', count: 1 },
    ]);
    expect(recorder.unwritten(7, 0)).toEqual({ refusals: [], discards: [], activity: undefined });
  });

  it('a key only refused has no accepted time', () => {
    const recorder = new KeyHealthRecorder();
    recorder.refused(3, 'disabled', T);
    expect(recorder.unwritten(3, 0).activity).toEqual({ keyId: 3, lastAcceptedAt: null, lastRefusedAt: new Date(T).toISOString() });
  });

  it('keeps a failed flush for the next, the later time and the summed counts winning', async () => {
    const recorder = new KeyHealthRecorder();
    recorder.accepted(1, T + 10_000);
    recorder.refused(1, 'too_large', T + 20_000);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let failing = true;
    const { store: s, written } = store(() => failing);
    const first = recorder.flush({ ...s, addRefusals: async (d: RefusalDelta[]) => (await held, s.addRefusals(d)) } as unknown as KeyHealthStore);
    // Counted while the flush is under way, which then fails.
    recorder.accepted(1, T + 12_000);
    recorder.refused(1, 'too_large', T + 1);
    release();
    await expect(first).rejects.toThrow('down');
    failing = false;
    await recorder.flush(s);
    expect(written.activity).toEqual([{ keyId: 1, lastAcceptedAt: new Date(T + 12_000).toISOString(), lastRefusedAt: new Date(T + 20_000).toISOString() }]);
    expect(written.refusals).toEqual([{ keyId: 1, ts: Math.floor(T / 3_600_000) * 3600, reason: 'too_large', count: 2 }]);
  });
});
