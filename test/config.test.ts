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

  it('has ingest defaults: memory counters, no Redis, no forwarding, a 1 GiB delivery queue, public backends only, the loader on its own SDK bundles', () => {
    const config = loadConfig({});
    expect(config.ingest).toEqual({
      maxBodyBytes: 20 * 1024 * 1024,
      rateLimiter: 'memory',
      redisUrl: undefined,
      forwardUrl: undefined,
      spoolMaxBytes: 1024 * 1024 * 1024,
      upstreamHosts: undefined,
      deliveryConcurrency: 64,
      tunnelPath: undefined,
      statsFlushSeconds: 5,
    });
    expect(config.trustedProxies).toEqual([]);
    expect(config.loader).toEqual({ sdkUrl: null, cdnUrl: '' });
  });

  it('shares rate-limit counters through Redis when REDIS_URL is set, else through PostgreSQL, unless told otherwise', () => {
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379/0' }).ingest).toMatchObject({ rateLimiter: 'redis', redisUrl: 'redis://cache:6379/0' });
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@h/db' }).ingest.rateLimiter).toBe('database');
    expect(loadConfig({ RATE_LIMITER: 'database' }).ingest.rateLimiter).toBe('database');
    expect(loadConfig({ REDIS_URL: 'rediss://cache', RATE_LIMITER: 'memory' }).ingest.rateLimiter).toBe('memory');
  });

  it('reads the ingest and loader variables', () => {
    const config = loadConfig({
      INGEST_MAX_BODY_SIZE: '1048576',
      FORWARD_URL: 'https://relay.example.com/',
      SPOOL_MAX_BYTES: '1048576',
      UPSTREAM_HOSTS: 'sentry.internal, *.example.com, 10.0.0.0/8',
      TUNNEL_PATH: '/t/',
      TRUSTED_PROXIES: '10.1.2.3, 192.168.0.0/16',
      STATS_FLUSH_SECONDS: '30',
      JS_SDK_LOADER_SDK_URL: '',
      JS_SDK_LOADER_CDN_URL: 'https://js.example.com/',
    });
    expect(config.ingest).toMatchObject({
      maxBodyBytes: 1048576,
      forwardUrl: 'https://relay.example.com',
      spoolMaxBytes: 1048576,
      upstreamHosts: 'sentry.internal, *.example.com, 10.0.0.0/8',
      tunnelPath: '/t/',
      statsFlushSeconds: 30,
    });
    expect(config.trustedProxies).toEqual(['10.1.2.3', '192.168.0.0/16']);
    expect(config.loader).toEqual({ sdkUrl: '', cdnUrl: 'https://js.example.com/' });
    expect(loadConfig({ JS_SDK_LOADER_SDK_URL: ' https://browser.sentry-cdn.com/%s/bundle%s.min.js ' }).loader.sdkUrl).toBe(
      'https://browser.sentry-cdn.com/%s/bundle%s.min.js',
    );
  });

  it.each([
    [{ REDIS_URL: 'http://cache' }, /^REDIS_URL must be redis:\/\/… or rediss:\/\/…/],
    [{ RATE_LIMITER: 'carrier-pigeon' }, /^RATE_LIMITER must be one of memory, database, redis/],
    [{ RATE_LIMITER: 'redis' }, /^RATE_LIMITER=redis needs REDIS_URL/],
    [{ FORWARD_URL: 'relay.example.com' }, /^FORWARD_URL must be an absolute http\(s\) URL/],
    [{ FORWARD_URL: 'ftp://relay' }, /^FORWARD_URL must use http or https/],
    [{ SPOOL_MAX_BYTES: '1000' }, /^SPOOL_MAX_BYTES must be an integer from 1048576/],
    [{ UPSTREAM_HOSTS: 'sentry.io, 10.0.0.0/40' }, /^UPSTREAM_HOSTS must list host names, \*\.domain names, CIDRs or \*.*"10\.0\.0\.0\/40" is not a CIDR/],
    [{ UPSTREAM_HOSTS: 'http://sentry.io' }, /^UPSTREAM_HOSTS must list/],
    [{ TUNNEL_PATH: 'tunnel' }, /^TUNNEL_PATH must be a path such as \/t\//],
    [{ TUNNEL_PATH: '/api/1/envelope/' }, /^TUNNEL_PATH must be a path .* outside \/api\//],
    [{ TRUSTED_PROXIES: '10.0.0.1, proxy.local' }, /^TRUSTED_PROXIES must list IP addresses or CIDRs.*"proxy\.local"/],
    [{ INGEST_MAX_BODY_SIZE: '10' }, /^INGEST_MAX_BODY_SIZE must be an integer from 1024/],
    [{ STATS_FLUSH_SECONDS: '0' }, /^STATS_FLUSH_SECONDS must be an integer from 1 to 3600/],
    [{ JS_SDK_LOADER_CDN_URL: 'cdn' }, /^JS_SDK_LOADER_CDN_URL must be an absolute http\(s\) URL/],
    [{ JS_SDK_LOADER_SDK_URL: '/%s/bundle%s.min.js' }, /^JS_SDK_LOADER_SDK_URL must be an absolute http\(s\) URL, with %s/],
    [{ JS_SDK_LOADER_SDK_URL: 'javascript:alert(1)' }, /^JS_SDK_LOADER_SDK_URL must be an absolute http\(s\) URL/],
  ])('names the bad ingest variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a Redis password', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://:hunter2@cache' })).toThrow(/\/\/:\*\*\*@cache/);
  });

  it('derives SECURE_COOKIES from PUBLIC_URL\'s scheme unless it is set', () => {
    expect(loadConfig({}).sessions.secureCookies).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://keys.example.com' }).sessions.secureCookies).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'https://keys.example.com', SECURE_COOKIES: 'false' }).sessions.secureCookies).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'http://10.0.0.5:9000', SECURE_COOKIES: '1' }).sessions.secureCookies).toBe(true);
  });

  it('has session and sign-in throttle defaults, and reads them', () => {
    expect(loadConfig({}).sessions).toEqual({
      secureCookies: false,
      maxAgeHours: 336,
      maxAttemptsPerEmail: 10,
      maxAttemptsPerIp: 50,
      throttleWindowSeconds: 900,
    });
    expect(
      loadConfig({
        SESSION_MAX_AGE_HOURS: '8',
        SIGNIN_MAX_ATTEMPTS_PER_EMAIL: '5',
        SIGNIN_MAX_ATTEMPTS_PER_IP: '100',
        SIGNIN_THROTTLE_WINDOW_SECONDS: '60',
      }).sessions,
    ).toMatchObject({ maxAgeHours: 8, maxAttemptsPerEmail: 5, maxAttemptsPerIp: 100, throttleWindowSeconds: 60 });
  });

  it.each([
    [{ SECURE_COOKIES: 'maybe' }, /^SECURE_COOKIES must be 1 or 0/],
    [{ SESSION_MAX_AGE_HOURS: '0' }, /^SESSION_MAX_AGE_HOURS must be an integer from 1/],
    [{ SIGNIN_MAX_ATTEMPTS_PER_EMAIL: '0' }, /^SIGNIN_MAX_ATTEMPTS_PER_EMAIL must be an integer from 1/],
    [{ SIGNIN_MAX_ATTEMPTS_PER_IP: 'many' }, /^SIGNIN_MAX_ATTEMPTS_PER_IP must be an integer/],
    [{ SIGNIN_THROTTLE_WINDOW_SECONDS: '100000' }, /^SIGNIN_THROTTLE_WINDOW_SECONDS must be an integer from 1 to 86400/],
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
