/**
 * Sign-in sessions for the web page. A session is a random 256-bit token in an HttpOnly cookie,
 * stored only as its SHA-256 (like API tokens), with its own random CSRF token (also stored as a
 * hash) that the page sends back in `X-CSRFToken` on every state-changing request. Sign-in checks
 * the throttle before the password, and checks a password even for unknown users so that timing
 * does not tell which addresses have accounts. Failures are values; the HTTP edge renders them.
 */
import { timingSafeEqual } from 'node:crypto';
import type { SessionConfig } from '../config.ts';
import { hashPassword, verifyPassword } from '../domain/passwords.ts';
import { isoMicros } from '../domain/time.ts';
import { generateSessionToken, SESSION_TOKEN_PATTERN, sha256Hex } from '../domain/tokens.ts';
import type { SessionRow, UserRow } from '../storage/schema.ts';
import type { SessionStore } from '../storage/stores/sessions.ts';
import type { SignInThrottle } from './signin-throttle.ts';

/** Where sessions live: the database by default (every instance sees every session). */
export type SessionRepository = Pick<SessionStore, 'insert' | 'byTokenHash' | 'delete' | 'deleteForUser' | 'deleteExpired'>;

export interface UserLookup {
  byEmail(email: string): Promise<UserRow | undefined>;
}

/** What a new session hands the browser: both values go into cookies and are never stored. */
export interface NewSession {
  user: UserRow;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export type SignInResult =
  | { ok: true; session: NewSession }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface ActiveSession {
  id: number;
  user: UserRow;
  csrfHash: string;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

function iso(millis: number): string {
  return isoMicros(BigInt(millis) * 1000n);
}

export class SessionService {
  /** A hash to check wrong addresses against, so they take as long as wrong passwords. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserLookup,
    private readonly throttle: SignInThrottle,
    private readonly config: SessionConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  async signIn(email: string, password: string, ipAddress: string): Promise<SignInResult> {
    const normalized = email.trim().toLowerCase();
    // The email's key is its hash: people type passwords into the email field, and those must not be stored.
    const emailKey = `email:${sha256Hex(normalized)}`;
    const [byEmail, byIp] = await Promise.all([
      this.throttle.hit(emailKey, this.config.maxAttemptsPerEmail),
      this.throttle.hit(`ip:${ipAddress}`, this.config.maxAttemptsPerIp),
    ]);
    // Refused before the password is checked: a throttled guess learns nothing.
    if (byEmail.limited || byIp.limited) {
      const retry = Math.max(byEmail.limited ? byEmail.retryAfterSeconds : 0, byIp.limited ? byIp.retryAfterSeconds : 0);
      return { ok: false, reason: 'throttled', retryAfterSeconds: retry };
    }
    const user = normalized === '' ? undefined : await this.users.byEmail(normalized);
    const usable = user && user.is_active === 1 && user.password_hash ? user : undefined;
    const matches = await verifyPassword(password, usable?.password_hash ?? (await this.decoyHash()));
    if (!usable || !matches) return { ok: false, reason: 'invalid' };
    await this.throttle.clear(emailKey);
    return { ok: true, session: await this.create(usable, ipAddress) };
  }

  private async create(user: UserRow, ipAddress: string): Promise<NewSession> {
    const now = this.clock();
    await this.sessions.deleteExpired(iso(now));
    await this.throttle.sweep();
    const token = generateSessionToken();
    const csrfToken = generateSessionToken();
    const expiresAt = new Date(now + this.config.maxAgeHours * 3600 * 1000);
    await this.sessions.insert({
      token_hash: sha256Hex(token),
      csrf_hash: sha256Hex(csrfToken),
      user_id: user.id,
      ip_address: ipAddress,
      date_created: iso(now),
      expires_at: iso(expiresAt.getTime()),
    });
    return { user, token, csrfToken, expiresAt };
  }

  /** The session a cookie value belongs to, if it is current and its user may still sign in. */
  async resolve(token: string | undefined): Promise<ActiveSession | undefined> {
    if (!token || !SESSION_TOKEN_PATTERN.test(token)) return undefined;
    const hash = sha256Hex(token);
    const found = await this.sessions.byTokenHash(hash);
    if (!found || !sameHash(found.session.token_hash, hash)) return undefined;
    if (this.expired(found.session)) return undefined;
    if (found.user.is_active !== 1) return undefined;
    return { id: found.session.id, user: found.user, csrfHash: found.session.csrf_hash };
  }

  /** Whether `token` is the session's CSRF token (compared as hashes, in constant time). */
  csrfMatches(session: ActiveSession, token: string | undefined): boolean {
    if (!token || !SESSION_TOKEN_PATTERN.test(token)) return false;
    return sameHash(session.csrfHash, sha256Hex(token));
  }

  signOut(session: ActiveSession): Promise<void> {
    return this.sessions.delete(session.id);
  }

  /** End every session of a user (their password changed). */
  endAll(userId: number): Promise<number> {
    return this.sessions.deleteForUser(userId);
  }

  private expired(session: SessionRow): boolean {
    return Date.parse(session.expires_at) <= this.clock();
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(generateSessionToken());
    return this.decoy;
  }
}
