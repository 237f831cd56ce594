/**
 * Issue 15 item 7, through the real login page: 12 parallel sign-ins (11 wrong passwords, 1 right) cannot slip
 * past the lockout counter; unknown, locked and real accounts get the same answer and the same password-hash cost.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import bcrypt from 'bcryptjs';
import { APP, REDIRECT, startSecurityWorld, type SecurityWorld } from './testing/security-fixture.js';
import { authorizeUrl, Browser, formAction, pkce } from '../testing/browser.js';
import { dummyPasswordHash, LOCKOUT, PASSWORD_HASH_COST } from '../login.js';

describe('security (issue 15 item 7): lockout and login answers', () => {
  let w: SecurityWorld;

  before(async () => {
    w = await startSecurityWorld();
  });
  after(async () => w?.close());

  /** A browser at the login page of a fresh authorisation request: returns a function that submits the form. */
  async function atLoginPage(): Promise<(login: string, password: string) => Promise<string>> {
    const browser = new Browser();
    const { challenge } = pkce();
    const url = authorizeUrl({
      base: w.origin,
      fhirBase: w.srv.baseUrl,
      clientId: APP,
      redirectUri: REDIRECT,
      scope: 'openid fhirUser user/*.rs',
      challenge,
    });
    const page = await browser.follow(url, REDIRECT);
    assert.match(page.html ?? '', /name="password"/);
    const action = new URL(formAction(page.html!), page.url).toString();
    return async (login, password) => {
      const r = await browser.follow(action, REDIRECT, { form: { login, password } });
      return r.html ?? `redirect:${r.url}`;
    };
  }
  /** The message the login page shows (what a person learns from a refusal). */
  const messageOf = (html: string) =>
    (
      /<p[^>]*class="error"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ??
      /role="alert"[^>]*>([\s\S]*?)</.exec(html)?.[1] ??
      html
    )
      .replace(/\s+/g, ' ')
      .trim();
  /** Past the password: the consent page (or straight back to the app). */
  const signedIn = (html: string) => /name="decision"/.test(html) || html.startsWith('redirect:');

  it('12 parallel sign-ins (11 wrong, 1 right): the counter counts every failure and the account ends locked', async () => {
    const u = await w.fx.addUser({ username: 'hassan', role: 'doctor', fhirUser: 'Practitioner/pr-a' });
    const forms = await Promise.all(Array.from({ length: 12 }, () => atLoginPage()));
    const passwords = Array.from({ length: 12 }, (_, i) => (i === 6 ? u.password : `wrong-${i}`));
    const pages = await Promise.all(forms.map((submit, i) => submit(u.username, passwords[i]!)));
    assert.equal(pages.filter((p, i) => i !== 6 && signedIn(p)).length, 0, 'a wrong password signed in');
    for (const p of pages) assert.ok(signedIn(p) || /name="password"/.test(p), `an odd answer: ${p.slice(0, 300)}`);
    const [[row]] = await w.fx.db.query<RowDataPacket[]>(
      'SELECT failed_login_attempts AS n, locked_until > UTC_TIMESTAMP() AS locked FROM auth_users WHERE id = ?',
      [u.id],
    );
    assert.equal(row!.locked, 1, `not locked after 11 parallel failures (counter ${row!.n})`);
    assert.ok(row!.n >= LOCKOUT.maxFailures, `counter ended at ${row!.n}`);
    const [rows] = await w.fx.db.query<RowDataPacket[]>(
      'SELECT reason FROM auth_login_attempts WHERE email IN (?, ?)',
      [`${u.username}@nilecare.test`, u.username],
    );
    assert.equal(rows.length, 12, `every attempt is recorded: ${JSON.stringify(rows)}`);
    // At most maxFailures password checks before the lock (plus as many again after a success that reset it).
    const checked = rows.filter((r) => r.reason === 'bad_password').length;
    assert.ok(checked <= 2 * LOCKOUT.maxFailures, `${checked} wrong passwords were checked`);
    // Now locked: even the right password is refused, with the ordinary answer.
    const locked = await (await atLoginPage())(u.username, u.password);
    assert.ok(!signedIn(locked));
  });

  it('unknown, locked, inactive-with-a-wrong-password and real accounts get the same answer', async () => {
    const real = await w.fx.addUser({ username: 'mona', role: 'nurse' });
    const locked = await w.fx.addUser({ username: 'omer', role: 'nurse' });
    const inactive = await w.fx.addUser({ username: 'sara', role: 'nurse', status: 'inactive' });
    for (let i = 0; i < LOCKOUT.maxFailures; i++) await (await atLoginPage())(locked.username, `x${i}`);
    const answers = {
      unknown: messageOf(await (await atLoginPage())('nobody-here', 'whatever')),
      wrongPassword: messageOf(await (await atLoginPage())(real.username, 'whatever')),
      lockedWrong: messageOf(await (await atLoginPage())(locked.username, 'whatever')),
      lockedRight: messageOf(await (await atLoginPage())(locked.username, locked.password)),
      inactiveWrong: messageOf(await (await atLoginPage())(inactive.username, 'whatever')),
    };
    const distinct = new Set(Object.values(answers));
    assert.equal(distinct.size, 1, JSON.stringify(answers, null, 1));
    assert.ok(!/\blocked\b|unknown|not exist|no such/i.test([...distinct][0]!), [...distinct][0]);
  });

  it('unknown and real accounts cost the same: one bcrypt comparison at PASSWORD_HASH_COST', async () => {
    // The first administrator's hash was written by the server itself (as the CLI writes every password).
    const [[adminRow]] = await w.fx.db.query<RowDataPacket[]>(
      "SELECT password_hash FROM auth_users WHERE username = 'admin'",
    );
    assert.equal(bcrypt.getRounds(String(adminRow!.password_hash)), PASSWORD_HASH_COST);
    assert.equal(bcrypt.getRounds(await dummyPasswordHash()), PASSWORD_HASH_COST);
    assert.ok(PASSWORD_HASH_COST >= 12);
  });
});
