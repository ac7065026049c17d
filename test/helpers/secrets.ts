/** Where tests record the secrets they create and servers write their logs, for test/setup/secrets.ts. */
import { appendFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

const dir = () => inject('secretsDir');

export function recordSecret(secret: string): void {
  appendFileSync(join(dir(), `secrets-${process.pid}.txt`), `${secret}\n`);
}

let counter = 0;

/** A file for one server's log lines, in the directory the final check reads. */
export function logStream(name: string): WriteStream {
  counter += 1;
  return createWriteStream(join(dir(), `${name}-${process.pid}-${counter}.log`), { flags: 'a' });
}
