import { defineConfig } from 'vitest/config';

// `npm run test:redis`: the Redis rate limiter against a real redis-server (Debian's
// `redis-server` package; npm has no Redis server), on SQLite. See test/redis/.
export default defineConfig({
  test: {
    include: ['test/redis/**/*.test.ts'],
    globalSetup: ['test/setup/secrets.ts'],
    env: { TEST_DATABASE: 'sqlite' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
