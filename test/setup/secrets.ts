/**
 * After the whole run: no log line of any server the tests ran holds any secret the tests created
 * (user and organization tokens, API keys, client-key secrets). Servers log at `trace` into the
 * run's log directory; fixtures record each secret they create (see test/helpers/secrets.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    secretsDir: string;
  }
}

/** Whether this is the whole suite on one database (no file filter on the command line), which must see plenty. */
function fullRun(project: TestProject): boolean {
  const suite = project.name === 'sqlite' || project.name === 'postgres';
  return suite && !process.argv.slice(2).some((arg) => arg.endsWith('.ts') || arg.startsWith('test/'));
}

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-logs-'));
  project.provide('secretsDir', dir);
  return () => {
    const files = readdirSync(dir);
    const secrets = files
      .filter((f) => f.startsWith('secrets-'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
      .filter((s) => s.length >= 16);
    const logs = files.filter((f) => f.endsWith('.log'));
    const leaks: string[] = [];
    let lines = 0;
    for (const file of logs) {
      const text = readFileSync(join(dir, file), 'utf8');
      lines += text.split('\n').length;
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${file} holds a secret ending …${secret.slice(-6)}`);
    }
    rmSync(dir, { recursive: true, force: true });
    // A throw here is only printed by vitest; the exit code is what fails the run.
    const fail = (message: string) => {
      console.error(`\nFAIL secrets check: ${message}\n`);
      process.exitCode = 1;
    };
    if (leaks.length > 0) return fail(`secrets found in server logs:\n${leaks.join('\n')}`);
    if (fullRun(project) && (secrets.length < 10 || lines < 100)) {
      return fail(`it saw too little to mean anything: ${secrets.length} secrets, ${lines} log lines`);
    }
    console.log(`secrets check${project.name ? ` (${project.name})` : ''}: ${secrets.length} secrets, none in ${lines} log lines of ${logs.length} files`);
  };
}
