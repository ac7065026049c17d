/**
 * Values parsed from stored text, shared by every row that stores the same text (100,000 keys of
 * a project would otherwise hold 100,000 copies of its allowed domains, its backend's DSN, the
 * default loader data): memoised by the text, emptied if a table grows past any plausible number
 * of distinct settings.
 */
export const MAX_INTERNED = 10_000;

export class Interned<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly parse: (stored: string) => T) {}

  get(stored: string): T {
    let value = this.values.get(stored);
    if (value === undefined && !this.values.has(stored)) {
      value = this.parse(stored);
      if (this.values.size >= MAX_INTERNED) this.values.clear();
      this.values.set(stored, value);
    }
    return value as T;
  }
}

/** `value` and everything in it made read-only: for a value that many holders share. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
