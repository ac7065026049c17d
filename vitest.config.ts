import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

const postgres = process.env.TEST_DATABASE === 'postgres';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The multi-instance, concurrency and outage tests exist only where PostgreSQL does; the
    // package test (minutes: it compiles better-sqlite3) is `npm run test:package`.
    exclude: [...configDefaults.exclude, 'test/package/**', ...(postgres ? [] : ['test/postgres/**'])],
    globalSetup: ['test/setup/database.ts', 'test/setup/secrets.ts'],
    // A guard against hangs, not a measure: a test that runs the CLI a dozen times takes ~20 s on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default leaves a core free; most files here wait on child processes and sockets
    // rather than compute, so a 2-core machine runs two at once (CI: 4.3 → 3.1 minutes on SQLite).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
