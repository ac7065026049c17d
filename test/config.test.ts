import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration from the environment', () => {
  it('has defaults that work on a bare machine', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'sqlite', path: resolve('./data/clientkeys.sqlite') });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:9000');
    expect(config.apiRateLimit).toBe(40);
    expect(config.autoMigrate).toBe(false);
  });

  it('reads AUTO_MIGRATE as a switch', () => {
    for (const on of ['1', 'true', 'YES', 'on']) expect(loadConfig({ AUTO_MIGRATE: on }).autoMigrate).toBe(true);
    for (const off of ['0', 'false', 'no', 'off', '']) expect(loadConfig({ AUTO_MIGRATE: off }).autoMigrate).toBe(false);
  });

  it('derives PUBLIC_URL from PORT and normalises a given one', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://sentry.example.com/' }).publicUrl).toBe('https://sentry.example.com');
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/keys/' }).publicUrl).toBe('https://example.com/keys');
  });

  it('reads every DATABASE_URL form', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(loadConfig({ DATABASE_URL: 'sqlite:rel/x.db' }).database).toEqual({ kind: 'sqlite', path: resolve('rel/x.db') });
    expect(loadConfig({ DATABASE_URL: './plain.sqlite' }).database).toEqual({ kind: 'sqlite', path: resolve('plain.sqlite') });
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@h/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@h/db',
      poolSize: 10,
      connectTimeoutMs: 5000,
    });
    expect(loadConfig({ DATABASE_URL: 'postgresql://h/db', DATABASE_POOL_SIZE: '25' }).database).toMatchObject({ poolSize: 25 });
  });

  it('accepts API_RATE_LIMIT, 0 meaning off', () => {
    expect(loadConfig({ API_RATE_LIMIT: '0' }).apiRateLimit).toBe(0);
    expect(loadConfig({ API_RATE_LIMIT: '100' }).apiRateLimit).toBe(100);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT must be an integer/],
    [{ PORT: '70000' }, /^PORT must be an integer from 0 to 65535/],
    [{ API_RATE_LIMIT: '-1' }, /^API_RATE_LIMIT must be an integer/],
    [{ PUBLIC_URL: 'not a url' }, /^PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL must use http or https/],
    [{ PUBLIC_URL: 'http://x/?q=1' }, /^PUBLIC_URL must not carry/],
    [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL must be sqlite:PATH/],
    [{ DATABASE_URL: 'sqlite:' }, /^DATABASE_URL "sqlite:" needs a file path/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ AUTO_MIGRATE: 'please' }, /^AUTO_MIGRATE must be 1 or 0/],
    [{ DATABASE_POOL_SIZE: '0' }, /^DATABASE_POOL_SIZE must be an integer from 1/],
    [{ DATABASE_URL: 'postgres://[bad' }, /^DATABASE_URL is not a valid PostgreSQL URL/],
  ])('names the bad variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a database password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).toThrow(/user:\*\*\*@db/);
  });
});
