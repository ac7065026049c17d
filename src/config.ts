/**
 * Configuration from the environment, checked once at boot. A bad value stops the process with a
 * message naming the variable; defaults make `npm start` work on a bare machine.
 */
import { resolve } from 'node:path';

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
  /** Base of every DSN and Link URL (Sentry's `system.url-prefix`), without a trailing slash. */
  publicUrl: string;
  /** Management API requests per second per caller and endpoint; 0 turns the limit off. */
  apiRateLimit: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Apply pending migrations when the server starts on an older database, instead of refusing. */
  autoMigrate: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/clientkeys.sqlite';

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const port = integerVar(env, 'PORT', 9000, 0, 65535);
  const pool = {
    poolSize: integerVar(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    connectTimeoutMs: integerVar(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
  };
  return {
    database: parseDatabaseUrl(env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL, pool),
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    publicUrl: parsePublicUrl(env.PUBLIC_URL?.trim() || `http://localhost:${port}`),
    apiRateLimit: integerVar(env, 'API_RATE_LIMIT', 40, 0, 1_000_000),
    logLevel: logLevel(env.LOG_LEVEL),
    autoMigrate: booleanVar(env, 'AUTO_MIGRATE', false),
  };
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

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`PUBLIC_URL must use http or https (got "${value}")`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`PUBLIC_URL must not carry credentials, a query or a fragment (got "${value}")`);
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
  return value.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
