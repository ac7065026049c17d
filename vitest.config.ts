import { configDefaults, defineConfig } from 'vitest/config';

const postgres = process.env.TEST_DATABASE === 'postgres';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The multi-instance, concurrency and outage tests exist only where PostgreSQL does; the
    // package test (minutes: it compiles better-sqlite3) is `npm run test:package`.
    exclude: [...configDefaults.exclude, 'test/package/**', ...(postgres ? [] : ['test/postgres/**'])],
    globalSetup: ['test/setup/database.ts', 'test/setup/secrets.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
