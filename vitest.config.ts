import { configDefaults, defineConfig } from 'vitest/config';

const postgres = process.env.TEST_DATABASE === 'postgres';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The multi-instance, concurrency and outage tests exist only where PostgreSQL does.
    exclude: postgres ? configDefaults.exclude : [...configDefaults.exclude, 'test/postgres/**'],
    globalSetup: ['test/setup/database.ts', 'test/setup/secrets.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
