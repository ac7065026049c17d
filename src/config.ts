/**
 * Configuration from the environment, checked once at boot. A bad value stops the process with a
 * message naming the variable; defaults make `npm start` work on a bare machine.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { TrustedProxies } from './domain/client-address.ts';
import { upstreamHostPolicy } from './domain/upstream-hosts.ts';

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      url: string;
      /** Connections per instance. */
      poolSize: number;
      /** How long a request waits for a connection before it gets a 503. */
      connectTimeoutMs: number;
    };

export interface Config {
  database: DatabaseConfig;
  port: number;
  host: string;
  /** Base of every Link and API URL (Sentry's `system.url-prefix`), without a trailing slash. */
  publicUrl: string;
  /**
   * Base of the DSNs and the other ingest URLs of a key (Sentry's SENTRY_PUBLIC_ENDPOINT):
   * INGEST_URL, else PUBLIC_URL. The secret DSN stays on PUBLIC_URL, as Sentry's private DSN is
   * built on SENTRY_ENDPOINT, which falls back to the URL prefix.
   */
  ingestUrl: string;
  /** INGEST_ORG_SUBDOMAINS: DSN hosts are `o<organization id>.<host>`, as on sentry.io. */
  ingestOrgSubdomains: boolean;
  /** Management API requests per second per caller and endpoint; 0 turns the limit off. */
  apiRateLimit: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  ingest: IngestConfig;
  loader: LoaderConfig;
  /** The web page's sign-in sessions. */
  sessions: SessionConfig;
  /** Apply pending migrations when the server starts on an older database, instead of refusing. */
  autoMigrate: boolean;
  /** TRUSTED_PROXIES: peers whose X-Forwarded-For is believed (addresses and CIDRs). */
  trustedProxies: string[];
}

export type RateLimiterKind = 'memory' | 'database' | 'redis';

export interface IngestConfig {
  /** Largest request body, before and after decompression, in bytes (413 above it). */
  maxBodyBytes: number;
  /** Where per-key rate-limit counters live: this process, the database, or Redis. */
  rateLimiter: RateLimiterKind;
  /** `redis://…` when counters are shared through Redis. */
  redisUrl: string | undefined;
  /** Where accepted requests of projects without a backend of their own go, unchanged (through the delivery queue). */
  forwardUrl: string | undefined;
  /** The delivery queue's bound in bytes; beyond it new requests are refused with 503. */
  spoolMaxBytes: number;
  /** UPSTREAM_HOSTS: which hosts a project's backend may name (see domain/upstream-hosts.ts); unset: public addresses. */
  upstreamHosts: string | undefined;
  /** Requests in flight to backends at once, per instance. */
  deliveryConcurrency: number;
  /** TUNNEL_PATH: where `@sentry/browser`'s `tunnel` option posts envelopes (e.g. `/t/`), or undefined. */
  tunnelPath: string | undefined;
  /** ALERT_WEBHOOK_URL: where alerts about keys are POSTed, or undefined (no alerts). */
  alertWebhookUrl: string | undefined;
  /** ALERT_WEBHOOK_SECRET: signs each alert (X-Clientkeys-Signature, HMAC-SHA256 of the body). */
  alertWebhookSecret: string | undefined;
  /** Seconds between writes of the per-key counters (what a crash can lose at most). */
  statsFlushSeconds: number;
}

export interface LoaderConfig {
  /**
   * Where the loader's SDK bundle comes from. null (JS_SDK_LOADER_SDK_URL unset): this server's own
   * /js-sdk/ bundles. A URL: Sentry's JS_SDK_LOADER_DEFAULT_SDK_URL, with %s for version and bundle
   * modifier (a CDN). "": the no-op loader.
   */
  sdkUrl: string | null;
  /** Sentry's JS_SDK_LOADER_CDN_URL: where `dsn.cdn` points (`{cdn}{public_key}.min.js`); empty for this server's own /js-sdk-loader/. */
  cdnUrl: string;
}

export interface SessionConfig {
  /**
   * Cookies only over HTTPS (`Secure`, and the `__Host-` name prefix that keeps sibling subdomains
   * from planting them). Follows PUBLIC_URL's scheme unless SECURE_COOKIES says otherwise.
   */
  secureCookies: boolean;
  /** How long a sign-in lasts, in hours (Django's and Sentry's default: two weeks). */
  maxAgeHours: number;
  /** Sign-in attempts allowed per email address, and per client IP, within one window. */
  maxAttemptsPerEmail: number;
  maxAttemptsPerIp: number;
  throttleWindowSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/clientkeys.sqlite';

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const port = integerVar(env, 'PORT', 9000, 0, 65535);
  const publicUrl = parsePublicUrl(env.PUBLIC_URL?.trim() || `http://localhost:${port}`);
  const ingestUrl = env.INGEST_URL?.trim() ? parsePublicUrl(env.INGEST_URL.trim(), 'INGEST_URL') : publicUrl;
  const pool = {
    poolSize: integerVar(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    connectTimeoutMs: integerVar(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
  };
  const ingestOrgSubdomains = booleanVar(env, 'INGEST_ORG_SUBDOMAINS', false);
  if (ingestOrgSubdomains && isIP(new URL(ingestUrl).hostname.replace(/^\[|\]$/g, '')) !== 0) {
    throw new ConfigError(`INGEST_ORG_SUBDOMAINS needs a host name in ${env.INGEST_URL?.trim() ? 'INGEST_URL' : 'PUBLIC_URL'}, not an IP address (got "${ingestUrl}")`);
  }
  return {
    database: parseDatabaseUrl(env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL, pool),
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    publicUrl,
    ingestUrl,
    ingestOrgSubdomains,
    apiRateLimit: integerVar(env, 'API_RATE_LIMIT', 40, 0, 1_000_000),
    logLevel: logLevel(env.LOG_LEVEL),
    ingest: ingestConfig(env),
    loader: {
      sdkUrl: loaderSdkUrl(env),
      cdnUrl: optionalHttpUrl(env, 'JS_SDK_LOADER_CDN_URL', { keepTrailingSlash: true }) ?? '',
    },
    sessions: {
      secureCookies: booleanVar(env, 'SECURE_COOKIES', publicUrl.startsWith('https:')),
      maxAgeHours: integerVar(env, 'SESSION_MAX_AGE_HOURS', 336, 1, 24 * 366),
      maxAttemptsPerEmail: integerVar(env, 'SIGNIN_MAX_ATTEMPTS_PER_EMAIL', 10, 1, 1_000_000),
      maxAttemptsPerIp: integerVar(env, 'SIGNIN_MAX_ATTEMPTS_PER_IP', 50, 1, 1_000_000),
      throttleWindowSeconds: integerVar(env, 'SIGNIN_THROTTLE_WINDOW_SECONDS', 900, 1, 86_400),
    },
    autoMigrate: booleanVar(env, 'AUTO_MIGRATE', false),
    trustedProxies: trustedProxies(env),
  };
}

/** Sentry's default (S:src/sentry/conf/server.py JS_SDK_LOADER_DEFAULT_SDK_URL): its CDN. */
export const SENTRY_CDN_SDK_URL = 'https://browser.sentry-cdn.com/%s/bundle%s.min.js';

/** Whether `value` is an absolute URL with one of these protocols ("https:"). */
function isUrlOf(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Unset: null (this server's bundles); empty: "" (the no-op loader); else an http(s) URL template. */
function loaderSdkUrl(env: Env): string | null {
  const value = env.JS_SDK_LOADER_SDK_URL?.trim();
  if (value === undefined) return null;
  if (value === '') return '';
  if (!isUrlOf(value.replaceAll('%s', 'x'), ['http:', 'https:'])) {
    throw new ConfigError(`JS_SDK_LOADER_SDK_URL must be an absolute http(s) URL, with %s for the version and the bundle name, or empty (got "${redactUrl(value)}")`);
  }
  return value;
}

const RATE_LIMITERS: readonly RateLimiterKind[] = ['memory', 'database', 'redis'];

function ingestConfig(env: Env): IngestConfig {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined) {
    if (!isUrlOf(redisUrl, ['redis:', 'rediss:'])) {
      throw new ConfigError(`REDIS_URL must be redis://… or rediss://… (got "${redactUrl(redisUrl)}")`);
    }
  }
  const database = env.DATABASE_URL?.trim() ?? '';
  // Several instances share a PostgreSQL database; one SQLite file means one instance.
  const fallback: RateLimiterKind = redisUrl ? 'redis' : /^postgres(ql)?:\/\//i.test(database) ? 'database' : 'memory';
  const chosen = env.RATE_LIMITER?.trim().toLowerCase() || fallback;
  if (!(RATE_LIMITERS as readonly string[]).includes(chosen)) {
    throw new ConfigError(`RATE_LIMITER must be one of ${RATE_LIMITERS.join(', ')} (got "${env.RATE_LIMITER}")`);
  }
  if (chosen === 'redis' && !redisUrl) throw new ConfigError('RATE_LIMITER=redis needs REDIS_URL');
  return {
    maxBodyBytes: integerVar(env, 'INGEST_MAX_BODY_SIZE', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rateLimiter: chosen as RateLimiterKind,
    redisUrl,
    forwardUrl: optionalHttpUrl(env, 'FORWARD_URL'),
    spoolMaxBytes: integerVar(env, 'SPOOL_MAX_BYTES', DEFAULT_SPOOL_MAX_BYTES, 1024 * 1024, Number.MAX_SAFE_INTEGER),
    upstreamHosts: upstreamHosts(env),
    deliveryConcurrency: integerVar(env, 'DELIVERY_CONCURRENCY', 64, 1, 1024),
    tunnelPath: tunnelPath(env),
    alertWebhookUrl: optionalHttpUrl(env, 'ALERT_WEBHOOK_URL', { keepTrailingSlash: true }),
    alertWebhookSecret: env.ALERT_WEBHOOK_SECRET?.trim() || undefined,
    statsFlushSeconds: integerVar(env, 'STATS_FLUSH_SECONDS', 5, 1, 3600),
  };
}

/** 1 GiB: hours of a busy project's events while its backend is down, and far from filling a disk. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;

function upstreamHosts(env: Env): string | undefined {
  const value = env.UPSTREAM_HOSTS?.trim() || undefined;
  try {
    upstreamHostPolicy(value);
  } catch (error) {
    throw new ConfigError(`UPSTREAM_HOSTS must list host names, *.domain names, CIDRs or *, separated by commas: ${(error as Error).message}`);
  }
  return value;
}

function tunnelPath(env: Env): string | undefined {
  const value = env.TUNNEL_PATH?.trim();
  if (!value) return undefined;
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(value) || value.startsWith('/api/') || value.startsWith('//')) {
    throw new ConfigError(`TUNNEL_PATH must be a path such as /t/ (letters, digits, "-", "_", ".", "~", "/"), outside /api/ (got "${value}")`);
  }
  return value;
}

function trustedProxies(env: Env): string[] {
  const entries = (env.TRUSTED_PROXIES ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  try {
    new TrustedProxies(entries);
  } catch (error) {
    throw new ConfigError(`TRUSTED_PROXIES must list IP addresses or CIDRs, separated by commas: ${(error as Error).message}`);
  }
  return entries;
}

/** `value` as an absolute http(s) URL, or an error naming the variable and showing `shown` (the value, or it redacted). */
function httpUrl(name: string, value: string, shown: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${shown}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must use http or https (got "${shown}")`);
  }
  return url;
}

function optionalHttpUrl(env: Env, name: string, options: { keepTrailingSlash?: boolean } = {}): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  httpUrl(name, value, redactUrl(value));
  return options.keepTrailingSlash ? value : value.replace(/\/+$/, '');
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

function booleanVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (TRUE.includes(raw)) return true;
  if (FALSE.includes(raw)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (or true/false, yes/no, on/off; got "${env[name]}")`);
}

function integerVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

export function parseDatabaseUrl(
  value: string,
  pool: { poolSize: number; connectTimeoutMs: number } = { poolSize: 10, connectTimeoutMs: 5000 },
): DatabaseConfig {
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError(`DATABASE_URL is not a valid PostgreSQL URL (got "${redactUrl(value)}")`);
    }
    return { kind: 'postgres', url: value, ...pool };
  }
  if (/^sqlite:/i.test(value)) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/clientkeys.sqlite');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ConfigError(`DATABASE_URL must be sqlite:PATH, a file path or postgres://… (got "${redactUrl(value)}")`);
  }
  return { kind: 'sqlite', path: resolve(value) };
}

function parsePublicUrl(value: string, name = 'PUBLIC_URL'): string {
  const url = httpUrl(name, value, value);
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`${name} must not carry credentials, a query or a fragment (got "${redactUrl(value)}")`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevel(value: string | undefined): Config['logLevel'] {
  const level = value?.trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${value}")`);
  }
  return level as Config['logLevel'];
}

/** Never echo a database password into a log or an error. */
export function redactUrl(value: string): string {
  return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
