/**
 * Password + TOTP login against auth_users, with lockout; every attempt goes to auth_login_attempts.
 *
 * - The lockout check and the failure count are ONE atomic statement (UserRows.reserveAttempt): an attempt first
 *   takes a slot (count + 1, lock at the 5th), and only then is the password checked; a success gives the slot
 *   back (count 0) unless parallel failures locked the account meanwhile: then the sign-in is refused and the lock
 *   stands. Parallel attempts cannot slip past the counter.
 * - Unknown, locked and real accounts cost the same (the same statements and one bcrypt comparison at the same
 *   cost, PASSWORD_HASH_COST) and get the same answer: "not correct" (the message tells everyone that repeated
 *   failures block sign-in for a while). Only after a correct password does the page say more (inactive, MFA).
 */
import bcrypt from 'bcryptjs';
import { verify as verifyTotp } from 'otplib';
import type { AuthUser, UserRows } from './user-rows.js';

export const LOCKOUT = { maxFailures: 5, seconds: 15 * 60, maxFailuresPerIp: 30 } as const;

export type LoginFailure =
  | 'unknown_user'
  | 'bad_password'
  | 'locked'
  | 'throttled'
  | 'inactive'
  | 'mfa_required'
  | 'bad_mfa_code'
  | 'invalid_request';
export type LoginResult = { ok: true; user: AuthUser } | { ok: false; reason: LoginFailure };

/** bcrypt cost of every stored password (CLI, first admin) and of the comparison made for unknown accounts. */
export const PASSWORD_HASH_COST = 12;

export const hashPassword = (password: string) => bcrypt.hash(password, PASSWORD_HASH_COST);

/** What the person at the login page is told (never whether the user exists, is locked, or which part was wrong). */
export function loginMessage(reason: LoginFailure): string {
  switch (reason) {
    case 'unknown_user':
    case 'bad_password':
    case 'bad_mfa_code':
    case 'invalid_request':
    case 'locked':
      return `The user name, password or one-time code is not correct. After ${LOCKOUT.maxFailures} failed attempts, sign-in is blocked for ${LOCKOUT.seconds / 60} minutes.`;
    case 'throttled':
      return `Too many failed sign-ins from this address: try again in ${LOCKOUT.seconds / 60} minutes.`;
    case 'inactive':
      return 'This account is not active. Please contact the administrator.';
    case 'mfa_required':
      return 'Enter the 6-digit code from your authenticator app.';
  }
}

// Compared against when the account does not exist or is locked, so that the answer takes as long either way.
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword('nilecare-no-such-user'));

export async function login(
  users: UserRows,
  input: { login: string; password: string; otp?: string; ipAddress?: string },
): Promise<LoginResult> {
  const loginName = input.login.trim();
  const record = (success: boolean, reason: string | undefined, email: string) =>
    users.recordAttempt({ email, ipAddress: input.ipAddress, success, ...(reason ? { reason } : {}) });

  if (!loginName || !input.password || loginName.length > 255 || input.password.length > 1024) {
    await record(false, 'invalid_request', loginName.slice(0, 255) || '(empty)');
    return { ok: false, reason: 'invalid_request' };
  }
  // Guessing across many accounts from one address is slowed down too (not only per account).
  if (
    input.ipAddress &&
    (await users.recentFailuresFromIp(input.ipAddress, LOCKOUT.seconds)) >= LOCKOUT.maxFailuresPerIp
  ) {
    await record(false, 'throttled', loginName);
    return { ok: false, reason: 'throttled' };
  }
  const user = await users.findByLogin(loginName);
  // Takes a failure slot before the password is checked (atomic check + increment); unknown accounts run the same
  // statement (it matches no row) so both cost the same.
  const reserved = await users.reserveAttempt(user?.id ?? '', LOCKOUT.maxFailures, LOCKOUT.seconds);
  if (!user || !reserved || user.status.toLowerCase() === 'locked') {
    await bcrypt.compare(input.password, await dummyPasswordHash());
    const reason = user ? 'locked' : 'unknown_user';
    await record(false, reason, user ? user.email || user.username : loginName);
    return { ok: false, reason };
  }
  const email = user.email || user.username;
  const passwordOk = await bcrypt.compare(input.password, user.passwordHash).catch(() => false);
  if (!passwordOk) {
    await record(false, 'bad_password', email);
    return { ok: false, reason: 'bad_password' };
  }
  if (user.status.toLowerCase() !== 'active') {
    await record(false, `inactive (${user.status})`, email);
    return { ok: false, reason: 'inactive' };
  }
  if (user.mfaEnabled) {
    const otp = input.otp?.replace(/\s+/g, '') ?? '';
    if (!otp) {
      await record(false, 'mfa_required', email);
      return { ok: false, reason: 'mfa_required' };
    }
    const valid =
      !!user.mfaSecret &&
      /^\d{6}$/.test(otp) &&
      (await verifyTotp({ secret: user.mfaSecret, token: otp, epochTolerance: 30 })
        .then((r) => r.valid)
        .catch(() => false));
    if (!valid) {
      await record(false, 'bad_mfa_code', email);
      return { ok: false, reason: 'bad_mfa_code' };
    }
  }
  // Parallel failures may have locked the account while this password was checked: the lock stands.
  if (!(await users.registerSuccess(user.id))) {
    await record(false, 'locked', email);
    return { ok: false, reason: 'locked' };
  }
  await record(true, undefined, email);
  return { ok: true, user };
}

/**
 * The FHIR resource the user is: `permissions.fhirUser` when set, else Patient/<id> for patients, Practitioner/<id>
 * otherwise.
 */
export function fhirUserOf(user: AuthUser): string {
  const p = user.permissions;
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const f = (p as Record<string, unknown>).fhirUser;
    if (
      typeof f === 'string' &&
      /^(Patient|Practitioner|PractitionerRole|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/.test(f)
    )
      return f;
  }
  return user.role === 'patient' ? `Patient/${user.id}` : `Practitioner/${user.id}`;
}
