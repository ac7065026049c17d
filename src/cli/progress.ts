/**
 * Progress of long commands (backup, restore, migrate, keys import/export): a bar on stderr when
 * it is a terminal, nothing at all otherwise, so piped output and logs stay exactly the data.
 */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  /** Report `done` out of `total` (the services' progress callbacks have this shape). */
  update(done: number, total: number): void;
  /** Leave the bar as it stands on its own line. */
  stop(): void;
}

const QUIET: ProgressBar = { update() {}, stop() {} };

export function progressBar(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return QUIET;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit}`,
      hideCursor: true,
      barsize: 30,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        if (total !== bar.getTotal()) bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Run `work` with a bar that is stopped however the work ends. */
export async function withProgress<T>(label: string, unit: string, work: (bar: ProgressBar) => Promise<T>): Promise<T> {
  const bar = progressBar(label, unit);
  try {
    return await work(bar);
  } finally {
    bar.stop();
  }
}
