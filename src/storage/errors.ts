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
