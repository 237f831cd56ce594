import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate, generateSecret } from 'otplib';
import type { RowDataPacket } from 'mysql2/promise';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, formAction, pkce, signInAndConsent } from './testing/browser.js';
import { login, LOCKOUT } from './login.js';
import { userRows, type UserRows } from './user-rows.js';
import { mysqlStateDb } from '../state/state-db.js';

const REDIRECT = 'http://127.0.0.1:9/login-app/cb';

describe('login page: passwords, lockout, TOTP, inactive accounts, audit trail', () => {
  let t: AuthTestServer;
  before(async () => {
    t = await startAuthTestServer();
    await t.auth.registerClient({
      client_id: 'login-app',
      client_name: 'Clinic <b>App</b>',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser user/*.rs patient/*.rs launch/patient',
    });
  });
  after(async () => t?.close());

  const url = () =>
    authorizeUrl({
      base: t.base,
      fhirBase: t.fhirBase,
      clientId: 'login-app',
      redirectUri: REDIRECT,
      scope: 'openid user/*.rs',
      challenge: pkce().challenge,
    });
  const attempt = (u: TestUser, password: string, otp?: string) =>
    signInAndConsent(new Browser(), url(), REDIRECT, { login: u.username, password, ...(otp ? { otp } : {}) });
  const attempts = async (username: string) =>
    (
      await t.db.query<RowDataPacket[]>(
        'SELECT success, reason FROM auth_login_attempts WHERE email = ? ORDER BY `timestamp`, id',
        [`${username}@nilecare.test`],
      )
    )[0];

  it('renders a plain HTML login form with the client name escaped', async () => {
    const b = new Browser();
    const page = await b.follow(url(), REDIRECT);
    assert.equal(page.res?.status, 200);
    assert.match(page.html ?? '', /name="password"/);
    assert.match(page.html ?? '', /Clinic &#60;b&#62;App&#60;\/b&#62;/);
    assert.ok(!(page.html ?? '').includes('<b>App</b>'));
    assert.match(formAction(page.html ?? ''), /^\/auth\/interaction\/[^/]+\/login$/);
  });

  it('a correct password leads to the consent page; every attempt is in auth_login_attempts', async () => {
    const u = await t.addUser({ username: 'nadia', role: 'doctor' });
    const bad = await attempt(u, 'wrong');
    assert.match(bad.lastHtml ?? '', /not correct/);
    const good = await attempt(u, u.password);
    assert.ok(good.offered.includes('user/*.rs'));
    const rows = await attempts('nadia');
    // (timestamps have one-second resolution: compare as a set)
    assert.deepEqual(rows.map((r) => `${r.success}:${r.reason}`).sort(), ['0:bad_password', '1:null']);
  });

  it('locks the account after 5 failures, even for the right password, and records why', async () => {
    const u = await t.addUser({ username: 'khalid', role: 'nurse' });
    for (let i = 0; i < 5; i++) await attempt(u, `wrong-${i}`);
    const locked = await attempt(u, u.password);
    // The same answer as a wrong password or an unknown user: a lock says nothing about the account.
    assert.match(locked.lastHtml ?? '', /not correct/);
    assert.equal(locked.offered.length, 0);
    const [[user]] = await t.db.query<RowDataPacket[]>(
      'SELECT failed_login_attempts, locked_until > UTC_TIMESTAMP() AS locked FROM auth_users WHERE id = ?',
      [u.id],
    );
    assert.equal(user!.failed_login_attempts, 5);
    assert.equal(user!.locked, 1);
    const rows = await attempts('khalid');
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.map((r) => r.reason).sort(), [
      'bad_password',
      'bad_password',
      'bad_password',
      'bad_password',
      'bad_password',
      'locked',
    ]);
    // After the lock expires, the right password works and resets the counter.
    await t.db.execute('UPDATE auth_users SET locked_until = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE id = ?', [u.id]);
    const ok = await attempt(u, u.password);
    assert.ok(ok.offered.length > 0);
    const [[after]] = await t.db.query<RowDataPacket[]>(
      'SELECT failed_login_attempts, locked_until FROM auth_users WHERE id = ?',
      [u.id],
    );
    assert.equal(after!.failed_login_attempts, 0);
    assert.equal(after!.locked_until, null);
  });

  it('a right password checked while parallel failures lock the account is refused, and the lock stands', async () => {
    // The interleaving the 12-parallel-sign-ins attack found: this attempt took its slot, then 5 failures locked
    // the account while the password hash was compared; a success must not lift that lock.
    const u = await t.addUser({ username: 'samira', role: 'nurse' });
    const rows = userRows(mysqlStateDb(t.db, 'test'));
    const lockingMidway: UserRows = {
      ...rows,
      async registerSuccess(id) {
        for (let i = 0; i < LOCKOUT.maxFailures; i++) await rows.reserveAttempt(id, LOCKOUT.maxFailures, 60);
        return rows.registerSuccess(id);
      },
    };
    const result = await login(lockingMidway, { login: u.username, password: u.password });
    assert.deepEqual(result, { ok: false, reason: 'locked' });
    const [[user]] = await t.db.query<RowDataPacket[]>(
      'SELECT locked_until > UTC_TIMESTAMP() AS locked, last_login FROM auth_users WHERE id = ?',
      [u.id],
    );
    assert.equal(user!.locked, 1, 'the success lifted a lock set by parallel failures');
    assert.equal(user!.last_login, null);
    // Without the race the same call signs in (two in a row: the second changes no row on MySQL and still passes).
    await t.db.execute('UPDATE auth_users SET locked_until = NULL, failed_login_attempts = 0 WHERE id = ?', [u.id]);
    assert.equal((await login(rows, { login: u.username, password: u.password })).ok, true);
    assert.equal((await login(rows, { login: u.username, password: u.password })).ok, true);
  });

  it('asks for the TOTP code when MFA is on, refuses a wrong one, accepts the right one', async () => {
    const secret = generateSecret();
    const u = await t.addUser({ username: 'mona', role: 'doctor', mfaSecret: secret });
    const noCode = await attempt(u, u.password);
    assert.match(noCode.lastHtml ?? '', /6-digit code/);
    const wrong = await attempt(u, u.password, '000000' === (await generate({ secret })) ? '111111' : '000000');
    assert.match(wrong.lastHtml ?? '', /not correct/);
    const right = await attempt(u, u.password, await generate({ secret }));
    assert.ok(right.offered.length > 0, right.lastHtml);
    const reasons = (await attempts('mona')).map((r) => r.reason);
    assert.deepEqual(reasons.map(String).sort(), ['bad_mfa_code', 'mfa_required', 'null']);
  });

  it('an inactive or unknown account cannot sign in', async () => {
    const u = await t.addUser({ username: 'old', role: 'doctor', status: 'suspended' });
    assert.match((await attempt(u, u.password)).lastHtml ?? '', /not active/);
    const ghost = await attempt({ id: 'x', username: 'ghost', password: 'x', role: 'doctor' }, 'x');
    assert.match(ghost.lastHtml ?? '', /not correct/);
    const [rows] = await t.db.query<RowDataPacket[]>('SELECT reason FROM auth_login_attempts WHERE email = ?', [
      'ghost',
    ]);
    assert.equal(rows[0]?.reason, 'unknown_user');
  });

  it('writes auth_audit_logs rows and AuditEvents for logins, tokens, accesses and denials', async () => {
    const u = await t.addUser({ username: 'audited', role: 'doctor', fhirUser: 'Practitioner/a1' });
    await attempt(u, 'nope');
    await fetch(`${t.fhirBase}/Patient/p1`); // no token: denied
    await t.auth.audit({
      action: 'read',
      outcome: 'success',
      who: 'Practitioner/a1',
      userId: u.id,
      resourceType: 'Patient',
      resourceId: 'p1',
      ip: '10.0.0.7',
    });
    const [rows] = await t.db.query<RowDataPacket[]>(
      'SELECT user_id, action, resource, result, ip_address, metadata FROM auth_audit_logs ORDER BY `timestamp`',
    );
    const login = rows.find((r) => r.action === 'auth.login' && r.result === 'failure');
    assert.ok(login, 'failed login audited');
    const denied = rows.find((r) => r.action === 'auth.authenticate');
    assert.ok(denied);
    assert.equal(
      (typeof denied.metadata === 'string' ? JSON.parse(denied.metadata) : denied.metadata).outcome,
      'denied',
    );
    const read = rows.find((r) => r.action === 'fhir.read' && r.user_id === u.id);
    assert.equal(read?.resource, 'Patient/p1');
    assert.equal(read?.ip_address, '10.0.0.7');
    const ev = t.auditEvents.find(
      (e) => e.entity?.[0]?.what?.reference === 'Patient/p1' && e.agent[0]?.network?.address === '10.0.0.7',
    );
    assert.ok(ev, 'AuditEvent produced through onAuditEvent');
    assert.equal(ev.outcome, '0');
    assert.equal(ev.action, 'R');
    assert.equal(ev.agent[0]!.who?.reference, 'Practitioner/a1');
    assert.ok(
      t.auditEvents.some((e) => e.outcome === '4' && e.subtype?.[0]?.code === 'authenticate'),
      'the 401 is an AuditEvent with outcome 4',
    );
  });

  it('an unknown or expired interaction gets a clear page, not a crash', async () => {
    const get = await fetch(`${t.base}/auth/interaction/not-a-real-uid`);
    assert.equal(get.status, 400);
    assert.match(await get.text(), /expired/);
    const post = await fetch(`${t.base}/auth/interaction/not-a-real-uid/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=a&password=b',
    });
    assert.equal(post.status, 400);
    const big = await fetch(`${t.base}/auth/interaction/x/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `login=${'a'.repeat(50_000)}`,
    });
    assert.equal(big.status, 413);
    assert.match(big.headers.get('content-type') ?? '', /html/);
  });

  it('offers a sign-out page of its own (no third-party resources)', async () => {
    const u = await t.addUser({ username: 'leaving', role: 'doctor' });
    const b = new Browser();
    await signInAndConsent(b, url(), REDIRECT, { login: u.username, password: u.password });
    const res = await b.request(`${t.base}/auth/logout`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /Sign out of NileCare/);
    assert.ok(
      !/googleapis|https?:\/\/(?!127\.0\.0\.1)/.test(html.replace(/action="[^"]*"/g, '')),
      'no external resources',
    );
  });

  // Last in this file: it throttles the test client's address.
  it('slows down guessing across accounts from one address (HTTP 429)', async () => {
    const [[seen]] = await t.db.query<RowDataPacket[]>(
      'SELECT ip_address FROM auth_login_attempts WHERE ip_address IS NOT NULL LIMIT 1',
    );
    const ip = String(seen!.ip_address);
    for (let i = 0; i < 30; i++) {
      await t.db.execute(
        "INSERT INTO auth_login_attempts (id, email, ip_address, success, reason) VALUES (UUID(), ?, ?, 0, 'bad_password')",
        [`guess${i}@x`, ip],
      );
    }
    const u = await t.addUser({ username: 'victim', role: 'doctor' });
    const b = new Browser();
    const page = await b.follow(url(), REDIRECT);
    const res = await b.request(new URL(formAction(page.html!), page.url).toString(), {
      form: { login: u.username, password: u.password },
    });
    assert.equal(res.status, 429);
    assert.match(await res.text(), /Too many failed sign-ins from this address/);
  });
});
