/**
 * Files that hold secrets (the SQLite database, backups, key exports) are created readable by
 * their owner only, whatever the umask, and an existing one is tightened, not trusted: another
 * local user must not read client secrets or credential hashes from them.
 */
import { closeSync, fchmodSync, fstatSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const PRIVATE = 0o600;

/** Create `path` empty with mode 0600 if it does not exist; make an existing one 0600 if it is looser. */
export function ensurePrivateFile(path: string): void {
  const fd = openSync(path, 'a', PRIVATE);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, PRIVATE);
  } finally {
    closeSync(fd);
  }
}

/** Write `data` to `path` through a 0600 file beside it, renamed into place: never a moment readable by others. */
export function writePrivateFile(path: string, data: string | Buffer): void {
  const partial = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(partial, data, { mode: PRIVATE, flag: 'wx' });
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
}
