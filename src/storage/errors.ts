/**
 * Recognise a unique-constraint violation from either driver, and say which column it was about,
 * so services can turn a race into a clear answer instead of a 500.
 */
export function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: project_keys.public_key"
    const match = /constraint failed: (.+)$/.exec(error.message);
    return match?.[1]?.split(',')[0]?.trim().split('.')[1] ?? 'unknown';
  }
  if (code === '23505') {
    // Key (public_key)=(…) already exists.
    const detail = (error as { detail?: string }).detail ?? '';
    const match = /^Key \(([^)]+)\)/.exec(detail);
    return match?.[1]?.split(',')[0]?.trim() ?? 'unknown';
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: shutting down, crashed, starting up, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'SQLITE_BUSY',
]);

const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
];

/**
 * Whether an error means "the database cannot be reached right now" (answer 503 and retry) rather
 * than a fault of the request or the code.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  if (UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m))) return true;
  return error instanceof AggregateError && error.errors.some(isDatabaseUnavailable);
}
