/**
 * The change bus of a server on SQLite. Its own changes reach its subscribers at once, in memory.
 * Changes another process commits to the same file (the CLI, run while the server is up) are
 * noticed through SQLite's `PRAGMA data_version`, which moves only when another connection
 * commits: polled a few times a second while anyone subscribes, a query that reads no table.
 * SQLite does not say which rows changed, so subscribers get a `resync` and start afresh.
 */
import { InMemoryChangeBus, type ChangeListener } from './bus.ts';

export const DATA_VERSION_POLL_MS = 250;

export class SqliteChangeBus extends InMemoryChangeBus {
  private timer: NodeJS.Timeout | undefined;
  private seen: number | undefined;

  constructor(
    /** `PRAGMA data_version` on the connection this process writes through. */
    private readonly dataVersion: () => number,
    private readonly intervalMs = DATA_VERSION_POLL_MS,
  ) {
    super();
  }

  override subscribe(listener: ChangeListener): () => void {
    if (!this.timer) {
      this.seen = this.dataVersion();
      this.timer = setInterval(() => this.poll(), this.intervalMs);
      // Polling never keeps a process alive (the CLI subscribes too, through its services).
      this.timer.unref();
    }
    return super.subscribe(listener);
  }

  /** Tell subscribers when another process has committed since the last look. */
  poll(): void {
    let version: number;
    try {
      version = this.dataVersion();
    } catch {
      return; // the database is closing; nothing more to hear
    }
    if (version === this.seen) return;
    this.seen = version;
    this.listeners.dispatch({ type: 'resync' });
  }

  override async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
