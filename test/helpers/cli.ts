import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { recordSecret } from './secrets.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/clientkeys');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

function result(code: number | null, stdout: string, stderr: string): CliResult {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  if (/^(sntry[us]_\S+|[0-9a-f]{32})$/.test(last)) recordSecret(last);
  return { code: code ?? -1, stdout, stderr, lines: stdout.trimEnd().split('\n') };
}

const environment = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env });

/** Run the real `bin/clientkeys` (the built CLI) with the given environment; stdout and stderr are pipes. */
export function cli(args: string[], env: Record<string, string>, input?: string): CliResult {
  const run = spawnSync(process.execPath, [BIN, ...args], { env: environment(env), encoding: 'utf8', timeout: 30_000, input });
  return result(run.status, run.stdout ?? '', run.stderr ?? '');
}

/** The same without blocking this process (whose servers and clients keep running meanwhile). */
export function cliAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(result(code, stdout, stderr)));
  });
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Run the CLI on a terminal, as a person at a keyboard would (util-linux `script` gives it a
 * pseudo-terminal): stdout and stderr arrive together in `stdout`.
 */
export function cliOnTerminal(args: string[], env: Record<string, string>): CliResult {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { env: environment(env), encoding: 'utf8', timeout: 30_000 });
  return result(run.status, (run.stdout ?? '').replace(/\r\n/g, '\n'), run.stderr ?? '');
}
