/**
 * A change bus across instances through PostgreSQL's LISTEN/NOTIFY: an instance tells its own
 * subscribers at once and every other instance through one NOTIFY, which PostgreSQL delivers to
 * each listener within milliseconds of the commit. No polling.
 *
 * The listening connection is opened when the first subscriber arrives (the CLI never listens).
 * If it drops, it is reopened with backoff and subscribers get a `resync`: notifications sent
 * meanwhile are lost, so caches must start afresh.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { DB } from '../storage/schema.ts';
import { LocalListeners, type ChangeBus, type ChangeEvent, type ChangeListener } from './bus.ts';

export const CHANNEL = 'clientkeys_changes';

interface Envelope {
  from: string;
  event: ChangeEvent;
}

/** A bus whose notifications can ride in the writing transaction (PostgresChangeBus). */
export interface CommitNotifyingBus {
  notification(event: ChangeEvent): { channel: string; payload: string };
  announce(event: ChangeEvent): void;
}

export function commitNotifying(bus: ChangeBus): CommitNotifyingBus | undefined {
  return bus instanceof PostgresChangeBus ? bus : undefined;
}

/**
 * Public keys per notification: PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more, and
 * an import of thousands of keys is one event. 150 keys of 32 characters, quoted, fit with room.
 */
const KEYS_PER_NOTIFICATION = 150;

/** The event as notifications PostgreSQL takes: a long list of keys split, anything else as it is. */
function notifiable(event: ChangeEvent): ChangeEvent[] {
  if (event.type !== 'keys' || event.publicKeys.length <= KEYS_PER_NOTIFICATION) return [event];
  const parts: ChangeEvent[] = [];
  for (let at = 0; at < event.publicKeys.length; at += KEYS_PER_NOTIFICATION) {
    parts.push({ type: 'keys', publicKeys: event.publicKeys.slice(at, at + KEYS_PER_NOTIFICATION) });
  }
  return parts;
}

export class PostgresChangeBus implements ChangeBus {
  private readonly instance = randomUUID();
  private readonly listeners = new LocalListeners();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private listenedBefore = false;
  private retryDelayMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly db: Kysely<DB>,
    private readonly onError: (error: unknown, context: string) => void = () => {},
  ) {}

  async publish(event: ChangeEvent): Promise<void> {
    this.listeners.dispatch(event);
    try {
      for (const part of notifiable(event)) await sql`select pg_notify(${CHANNEL}, ${this.notification(part).payload})`.execute(this.db);
    } catch (error) {
      // The change is committed; other instances catch up through their resync when their own
      // connection comes back, or through the cache's maximum age.
      this.onError(error, 'notify');
    }
  }

  /**
   * The NOTIFY that tells other instances of `event`, for a write to send in its own transaction
   * (PostgreSQL delivers it at commit, and not at all on rollback): one round trip and one commit
   * fewer than `publish` after the commit. The writer then calls `announce` once committed.
   */
  notification(event: ChangeEvent): { channel: string; payload: string } {
    const envelope: Envelope = { from: this.instance, event };
    return { channel: CHANNEL, payload: JSON.stringify(envelope) };
  }

  /** Tell this instance's subscribers of a change whose NOTIFY went out in its transaction. */
  announce(event: ChangeEvent): void {
    this.listeners.dispatch(event);
  }

  subscribe(listener: ChangeListener): () => void {
    const remove = this.listeners.add(listener);
    void this.listening().catch(() => {});
    return remove;
  }

  /** Resolves once this instance is listening (tests and start-up wait on it). */
  listening(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    // Loaded here, with the first subscriber: processes that never listen (the CLI) never load pg.
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: this.url, application_name: 'clientkeys-listener' });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('listener connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      this.scheduleReconnect();
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    const reconnected = this.listenedBefore;
    this.listenedBefore = true;
    this.client = client;
    this.retryDelayMs = 100;
    if (reconnected) this.listeners.dispatch({ type: 'resync' });
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.from !== this.instance) this.listeners.dispatch(envelope.event);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.onError(error, 'listen');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, 200), 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.listening().catch(() => {});
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }
}
