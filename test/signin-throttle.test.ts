/**
 * The sign-in throttle: attempts per email address and per client address, counted in the
 * database so that every instance sees the same counts; refused attempts never check a password.
 */
import { describe, expect, it } from 'vitest';
import { createServices, closeServices } from '../src/composition.ts';
import { DatabaseSignInThrottle } from '../src/services/signin-throttle.ts';
import { postSignIn, setCookies, browserSession, signInForm } from './helpers/browser-session.ts';
import { Seed, startHarness, testConfig } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const PASSWORD = 'the right password, long';

const h = suiteFixture(async (onCleanup) => {
  const h = await startHarness({
    sessions: { secureCookies: false, maxAgeHours: 336, maxAttemptsPerEmail: 3, maxAttemptsPerIp: 6, throttleWindowSeconds: 900 },
  });
  onCleanup(() => h.close());
  const seed = new Seed(h.services);
  for (const email of ['ann@acme.example', 'bob@acme.example', 'cy@acme.example']) await seed.user(email, { password: PASSWORD });
  return h;
});

async function attempt(email: string, password: string): Promise<Response> {
  const form = await signInForm(h);
  const response = await postSignIn(h, { email, password, csrf: form.csrf }, { cookie: form.cookie });
  const cookies = setCookies(response);
  const session = cookies.get('clientkeys_session')?.value;
  if (session) browserSession(session, cookies.get('clientkeys_csrf')!.value);
  return response;
}

describe('sign-in throttle', () => {
  it('refuses an email after N attempts, even with the right password, and then a whole client address', async () => {
    // ann: three wrong passwords are answered as wrong…
    for (let i = 0; i < 3; i += 1) expect((await attempt('ann@acme.example', 'wrong password number')).status).toBe(400);
    // …the fourth attempt is throttled without looking at the password (it is right).
    const throttled = await attempt('ann@acme.example', PASSWORD);
    expect(throttled.status).toBe(429);
    expect(await throttled.text()).toContain('You have made too many failed authentication attempts. Please try again later.');
    expect(setCookies(throttled).has('clientkeys_session')).toBe(false);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // The address is counted too (4 attempts so far): bob signs in (5), his mistake is refused (6)…
    expect((await attempt('BOB@acme.example', PASSWORD)).status).toBe(303);
    expect((await attempt('bob@acme.example', 'wrong password number')).status).toBe(400);
    // …and the seventh attempt from this address is throttled whoever it is for.
    expect((await attempt('cy@acme.example', PASSWORD)).status).toBe(429);
  });

  it('clears an email\'s count when it signs in, and starts over when the window ends', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const throttle = new DatabaseSignInThrottle(h.db.stores.signInAttempts, 60, () => now);
    expect(await throttle.hit('email:test', 2)).toEqual({ limited: false, retryAfterSeconds: 60 });
    expect((await throttle.hit('email:test', 2)).limited).toBe(false);
    now += 30_000;
    expect(await throttle.hit('email:test', 2)).toEqual({ limited: true, retryAfterSeconds: 30 });
    now += 30_000;
    // The window is over: a new one starts with this attempt.
    expect(await throttle.hit('email:test', 2)).toEqual({ limited: false, retryAfterSeconds: 60 });
    await throttle.hit('email:test', 2);
    expect((await throttle.hit('email:test', 2)).limited).toBe(true);
    await throttle.clear('email:test');
    expect((await throttle.hit('email:test', 2)).limited).toBe(false);
    now += 120_000;
    await throttle.sweep();
    const left = await h.db.kysely.selectFrom('signin_attempts').select('key').where('key', '=', 'email:test').execute();
    expect(left).toEqual([]);
  });

  it('counts attempts made through every instance on the same database', async () => {
    const config = testConfig(h.config.database, { sessions: { ...h.config.sessions, maxAttemptsPerEmail: 4, maxAttemptsPerIp: 1000 } });
    const instances = [createServices(config), createServices(config)];
    try {
      const results = [];
      for (let i = 0; i < 6; i += 1) {
        const services = instances[i % 2]!;
        results.push(await services.sessions.signIn('dora@acme.example', 'not a user at all', '192.0.2.7'));
      }
      expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'throttled', 'throttled']);
      // Emails are stored only as hashes (people type passwords into the email field).
      const keys = await h.db.kysely.selectFrom('signin_attempts').select('key').execute();
      expect(keys.map((k) => k.key).join(' ')).not.toContain('dora');
    } finally {
      for (const services of instances) await closeServices(services);
    }
  });

  it('counts concurrent attempts without losing any', async () => {
    const throttle = new DatabaseSignInThrottle(h.db.stores.signInAttempts, 900);
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => throttle.hit('ip:198.51.100.1', 10)));
    expect(verdicts.filter((v) => v.limited)).toHaveLength(10);
  });
});
