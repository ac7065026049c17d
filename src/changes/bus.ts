/**
 * Changes other parts of clientkeys keep caches of: a key was created, changed or removed; a
 * project went away; who may do what changed. Services publish after their transaction commits; caches (the ingest key
 * map) subscribe. One process needs only the in-memory bus; several instances on one PostgreSQL
 * get a bus that also crosses processes, chosen in the composition root.
 */
export type ChangeEvent =
  | { type: 'keys'; publicKeys: string[] }
  | { type: 'project'; projectId: number }
  /** Who may do what changed: a credential revoked, a member's role or teams, an organization's settings. */
  | { type: 'access' }
  /** Events may have been missed (the bus lost its connection): drop everything cached. */
  | { type: 'resync' };

export type ChangeListener = (event: ChangeEvent) => void;

export interface ChangeBus {
  /** Tell every subscriber (in this process, and in others where the bus reaches them). */
  publish(event: ChangeEvent): Promise<void>;
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/** Subscribers of this process; the building block of every bus. */
export class LocalListeners {
  private readonly listeners = new Set<ChangeListener>();

  add(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispatch(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export class InMemoryChangeBus implements ChangeBus {
  protected readonly listeners = new LocalListeners();

  async publish(event: ChangeEvent): Promise<void> {
    this.listeners.dispatch(event);
  }

  subscribe(listener: ChangeListener): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {}
}
