/** Users: who may hold tokens, belong to organizations and sign in to the web page. */
import { hashPassword, MIN_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { isoNow } from '../domain/time.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { UserRow } from '../storage/schema.ts';
import { fail, ok, type Result } from './result.ts';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** What ends a user's sign-in sessions. */
export interface SessionEnder {
  endAll(userId: number): Promise<number>;
}

export class UserService {
  constructor(
    private readonly db: Database,
    private readonly sessions: SessionEnder,
  ) {}

  async create(email: string, options: { superuser?: boolean; password?: string | undefined }): Promise<Result<UserRow>> {
    const normalized = email.trim().toLowerCase();
    if (!EMAIL.test(normalized)) return fail(`invalid email address "${email}"`);
    if (options.password !== undefined && options.password.length < MIN_PASSWORD_LENGTH) {
      return fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const passwordHash = options.password === undefined ? null : await hashPassword(options.password);
    try {
      return ok(
        await this.db.stores.users.insert({
          email: normalized,
          name: '',
          password_hash: passwordHash,
          is_superuser: options.superuser ? 1 : 0,
          date_joined: isoNow(),
        }),
      );
    } catch (error) {
      if (uniqueViolation(error)) return fail(`user "${normalized}" already exists`);
      throw error;
    }
  }

  async setPassword(user: UserRow, password: string): Promise<Result<UserRow>> {
    if (password.length < MIN_PASSWORD_LENGTH) return fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    await this.db.stores.users.setPassword(user.id, await hashPassword(password));
    // Whoever knew the old password is signed out everywhere.
    await this.sessions.endAll(user.id);
    return ok(user);
  }
}
