/**
 * Password + TOTP login against auth_users, with lockout; every attempt goes to auth_login_attempts.
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

/** What the person at the login page is told (never whether the user exists or which part was wrong). */
export function loginMessage(reason: LoginFailure): string {
  switch (reason) {
    case 'unknown_user':
    case 'bad_password':
    case 'bad_mfa_code':
    case 'invalid_request':
      return 'The user name, password or one-time code is not correct.';
    case 'locked':
      return `Too many failed attempts: this account is locked for ${LOCKOUT.seconds / 60} minutes.`;
    case 'throttled':
      return `Too many failed sign-ins from this address: try again in ${LOCKOUT.seconds / 60} minutes.`;
    case 'inactive':
      return 'This account is not active. Please contact the administrator.';
    case 'mfa_required':
      return 'Enter the 6-digit code from your authenticator app.';
  }
}

// Compared against when the user does not exist, so that the answer takes as long either way.
const DUMMY_HASH = bcrypt.hashSync('nilecare-no-such-user', 10);

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
  if (!user) {
    await bcrypt.compare(input.password, DUMMY_HASH);
    await record(false, 'unknown_user', loginName);
    return { ok: false, reason: 'unknown_user' };
  }
  const email = user.email || user.username;
  if (user.lockedForSeconds > 0 || user.status.toLowerCase() === 'locked') {
    await record(false, 'locked', email);
    return { ok: false, reason: 'locked' };
  }
  const passwordOk = await bcrypt.compare(input.password, user.passwordHash).catch(() => false);
  if (!passwordOk) {
    await users.registerFailure(user.id, LOCKOUT.maxFailures, LOCKOUT.seconds);
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
      await users.registerFailure(user.id, LOCKOUT.maxFailures, LOCKOUT.seconds);
      await record(false, 'bad_mfa_code', email);
      return { ok: false, reason: 'bad_mfa_code' };
    }
  }
  await users.registerSuccess(user.id);
  await record(true, undefined, email);
  return { ok: true, user };
}

/** The FHIR resource the user is: `permissions.fhirUser` when set, else Patient/<id> for patients, Practitioner/<id> otherwise. */
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
