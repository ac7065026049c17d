/**
 * What a management request costs PostgreSQL once an instance is warm: the credential,
 * organization, membership, project and its settings come from the access cache
 * (services/access-cache.ts), so a key create is its one statement (plus the ingest key map's
 * load of the new key) and a keys list its one page query. Counted on the pg client itself.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort, ingestConfig, request, startAcme, TEST_ACTOR } from '../helpers/harness.ts';
import { envelopePath, eventEnvelope, send } from '../helpers/ingest.ts';
import { recordSecret } from '../helpers/secrets.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const sent: string[] = [];
const query = pg.Client.prototype.query;
const keys = '/api/0/projects/acme/web/keys/';

const t = suiteFixture(async (onCleanup) => {
  // Before the pool opens: each connection binds the prototype's query when it is created.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    sent.push(typeof first === 'string' ? first : (first?.text ?? ''));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  onCleanup(() => {
    pg.Client.prototype.query = query;
  });
  // Accepted events are queued for FORWARD_URL (nothing listens there: they stay queued).
  const { h, project, key, owner } = await startAcme({ ingest: ingestConfig({ forwardUrl: `http://127.0.0.1:${await freePort()}/` }) });
  onCleanup(() => h.close());
  return { h, token: owner, project, key };
});

/**
 * The statements `work` sends, once the background work it started has settled: the fewest of three
 * tries, since the once-a-second jobs (the key expiry sweep, the queue's polls and size, the counters'
 * flush) may send theirs in any one window, the more often the busier the machine.
 */
async function statements(work: () => Promise<unknown>): Promise<string[]> {
  let fewest: string[] | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    sent.length = 0;
    await work();
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!fewest || sent.length < fewest.length) fewest = sent.map((text) => text.slice(0, 60));
  }
  return fewest!;
}

describe('round trips to PostgreSQL, warm', () => {
  it('a key create is one statement, and the key map loads the new key', async () => {
    await request(t.h, 'POST', keys, { token: t.token, body: { name: 'warming' } });
    let status = 0;
    const sentFor = await statements(async () => (status = (await request(t.h, 'POST', keys, { token: t.token, body: { name: 'counted' } })).status));
    expect(status).toBe(201);
    expect(sentFor).toHaveLength(2);
    expect(sentFor[0]).toMatch(/^with "k" as \(insert into "project_keys"/);
    expect(sentFor[1]).toMatch(/^select "project_keys"\."id", "project_keys"\."public_key"/);
  });

  it('a keys list is its page query', async () => {
    await request(t.h, 'GET', keys, { token: t.token });
    let status = 0;
    const sentFor = await statements(async () => (status = (await request(t.h, 'GET', keys, { token: t.token })).status));
    expect(status).toBe(200);
    expect(sentFor).toHaveLength(1);
    expect(sentFor[0]).toMatch(/^select \* from "project_keys"/);
  });

  it('a keys list is still its page query while events are queued for delivery: the queue is no cached access', async () => {
    await request(t.h, 'GET', keys, { token: t.token });
    let status = 0;
    const sentFor = await statements(async () => {
      for (let i = 0; i < 3; i += 1) expect((await send(t.h, envelopePath(t.project, t.key), { body: eventEnvelope() })).status).toBe(200);
      status = (await request(t.h, 'GET', keys, { token: t.token })).status;
    });
    expect(status).toBe(200);
    // The queue's own statements (its inserts, delivery's claims) and the counters the events add
    // aside, the list read its page alone.
    const others = sentFor.filter((text) => !/"(deliveries|key_stats|upstream_stats)"/.test(text) && !/^(begin|commit|rollback)/i.test(text));
    expect(sentFor.filter((text) => text.startsWith('insert into "deliveries"'))).toHaveLength(3);
    expect(others).toHaveLength(1);
    expect(others[0]).toMatch(/^select \* from "project_keys"/);
  });

  it('a revoked token costs its lookup again, and is refused', async () => {
    const user = (await t.h.services.directory.userByEmail('owner@acme.example'))!;
    const { token: revokable, id } = await t.h.services.credentials.issueUserToken(user, ['project:read']);
    recordSecret(revokable);
    expect((await request(t.h, 'GET', keys, { token: revokable })).status).toBe(200);
    await t.h.services.credentials.revokeUserToken(id, TEST_ACTOR);
    let status = 0;
    const sentFor = await statements(async () => (status = (await request(t.h, 'GET', keys, { token: revokable })).status));
    expect(status).toBe(401);
    expect(sentFor.some((text) => text.includes('"api_tokens"'))).toBe(true);
  });
});
