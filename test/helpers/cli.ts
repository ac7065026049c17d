import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { recordSecret } from './secrets.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/clientkeys');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

/** Run the real `bin/clientkeys` (the built CLI) with the given environment. */
export function cli(args: string[], env: Record<string, string>): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const stdout = result.stdout ?? '';
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  if (/^(sntry[us]_\S+|[0-9a-f]{32})$/.test(last)) recordSecret(last);
  return { code: result.status ?? -1, stdout, stderr: result.stderr ?? '', lines: stdout.trimEnd().split('\n') };
}
