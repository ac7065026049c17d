/** `clientkeys serve` as a real process, for tests that kill it, stop it or read its logs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN } from './cli.ts';
import { logStream } from './secrets.ts';

export interface Served {
  child: ChildProcess;
  url: string;
  logs: string[];
  exited: Promise<number | null>;
}

export function serve(cwd: string, env: Record<string, string>, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const file = logStream('serve');
  // 'close' rather than 'exit': only then has every line the server wrote been read.
  child.on('close', () => file.end(logs.join('\n')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${logs.join('\n')}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'clientkeys is listening' && entry.url) {
          clearTimeout(timer);
          resolve({ child, url: entry.url, logs, exited });
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${logs.join('\n')}`));
    });
  });
}
