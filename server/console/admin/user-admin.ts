/**
 * The administrator's user tasks on nilecare_auth.auth_users — list, add, change the role, disable/enable, unlock,
 * reset TOTP, set a password — in SQL both dialects of the state database run (MySQL/MariaDB with AUTH_MYSQL_URL,
 * else the embedded PostgreSQL/PGlite). The server reads these rows at every sign-in and every admin call, so a
 * change applies at once, no restart. Used by the console's admin API; mistakes are FhirErrors (400/404/409).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSecret, generateURI } from 'otplib';
import { badRequest, fhirError, notFound } from '../../fhir/errors.js';
import { hashPassword } from '../../auth/login.js';
import { refreshTokenRows } from '../../auth/refresh-token-rows.js';
import { isRole, ROLES } from '../../auth/role-scopes.js';
import { isDuplicateKey, sqlOf, type StateDb, type StateRow } from '../../state/state-db.js';
import type { AdminUser, ChangedUser, NewUser, UserChange, UserSecrets } from '../admin-api.js';

export const MIN_PASSWORD_LENGTH = 12;
const FHIR_USER = /^(Patient|Practitioner|PractitionerRole|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/;
const USERNAME = /^[A-Za-z0-9._@-]{1,50}$/;

export interface UserAdmin {
  list(): Promise<AdminUser[]>;
  add(user: NewUser): Promise<AdminUser & UserSecrets>;
  change(id: string, change: UserChange): Promise<ChangedUser>;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)
    throw badRequest(`A password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 200) throw badRequest('A password has at most 200 characters');
  return password;
}

function checkRole(role: unknown): string {
  if (typeof role !== 'string' || !isRole(role)) throw badRequest(`The role must be one of ${ROLES.join(', ')}`);
  return role;
}

const optionalText = (value: unknown, what: string, max = 50): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > max) throw badRequest(`${what} must be text of at most ${max}`);
  return value.trim() || null;
};

function toAdminUser(r: StateRow): AdminUser {
  const p = (typeof r.permissions === 'string' ? JSON.parse(r.permissions) : r.permissions) as
    { fhirUser?: unknown } | null | undefined;
  const name = [r.first_name, r.last_name].filter(Boolean).join(' ');
  return {
    id: String(r.id),
    username: String(r.username),
    email: String(r.email),
    ...(name ? { name } : {}),
    role: String(r.role),
    status: String(r.status),
    locked: Number(r.locked) === 1 || r.status === 'locked',
    mfa: Number(r.mfa_enabled) === 1,
    ...(typeof p?.fhirUser === 'string' ? { fhirUser: p.fhirUser } : {}),
  };
}

async function readUsers(db: StateDb, where: string, params: unknown[]): Promise<AdminUser[]> {
  const { rows } = await db.query(
    `SELECT id, username, email, first_name, last_name, role, status, mfa_enabled, permissions,
            CASE WHEN locked_until > ${sqlOf(db.dialect).now} THEN 1 ELSE 0 END AS locked
       FROM auth_users WHERE deleted_at IS NULL ${where} ORDER BY username`,
    params,
  );
  return rows.map(toAdminUser);
}

async function oneUser(db: StateDb, id: string): Promise<AdminUser> {
  const [user] = await readUsers(db, 'AND id = ?', [id]);
  if (!user) throw notFound(`User ${id} not found`);
  return user;
}

async function newTotp(db: StateDb, user: AdminUser): Promise<UserSecrets> {
  const secret = generateSecret();
  await db.query('UPDATE auth_users SET mfa_enabled = 1, mfa_secret = ? WHERE id = ?', [secret, user.id]);
  return { totpSecret: secret, otpauth: generateURI({ issuer: 'NileCare', label: user.email, secret }) };
}

async function addUser(db: StateDb, u: NewUser): Promise<AdminUser & UserSecrets> {
  const username = typeof u.username === 'string' ? u.username.trim() : '';
  if (!USERNAME.test(username)) throw badRequest('The username is 1 to 50 letters, digits or . _ @ -');
  const email = typeof u.email === 'string' ? u.email.trim() : '';
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 255) throw badRequest('The email address is not valid');
  const role = checkRole(u.role);
  const fhirUser = optionalText(u.fhirUser, 'fhirUser', 100);
  if (fhirUser && !FHIR_USER.test(fhirUser)) throw badRequest('fhirUser must look like Practitioner/123');
  const password = u.password === undefined || u.password === '' ? undefined : checkPassword(u.password);
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  const id = randomUUID();
  try {
    await db.query(
      `INSERT INTO auth_users (id, email, username, password_hash, first_name, last_name, role, status, mfa_enabled,
         permissions, email_verified)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 0, ?, 1)`,
      [
        id,
        email,
        username,
        await hashPassword(password ?? generated!),
        optionalText(u.firstName, 'firstName'),
        optionalText(u.lastName, 'lastName'),
        role,
        fhirUser ? JSON.stringify({ fhirUser }) : null,
      ],
    );
  } catch (e) {
    if (isDuplicateKey(e))
      throw fhirError(409, 'duplicate', `A user with username "${username}" or email "${email}" already exists`);
    throw e;
  }
  const user = await oneUser(db, id);
  return { ...user, ...(generated ? { password: generated } : {}), ...(u.mfa ? await newTotp(db, user) : {}) };
}

/** The secrets a password change makes (a generated password); the admin's initial-password file goes. */
async function changePassword(db: StateDb, keysDir: string, user: AdminUser, given: string): Promise<UserSecrets> {
  const password = given === 'generate' ? randomBytes(12).toString('base64url') : checkPassword(given);
  await db.query('UPDATE auth_users SET password_hash = ? WHERE id = ?', [await hashPassword(password), user.id]);
  // The first admin's initial password was written to a file at the first start: it is void now.
  if (user.username === 'admin') await rm(join(keysDir, 'initial-admin-password'), { force: true });
  return given === 'generate' ? { password } : {};
}

async function changeUser(db: StateDb, keysDir: string, id: string, c: UserChange): Promise<ChangedUser> {
  const user = await oneUser(db, id);
  let secrets: UserSecrets = {};
  let revokedTokens: number | undefined;
  if (c.role !== undefined) await db.query('UPDATE auth_users SET role = ? WHERE id = ?', [checkRole(c.role), id]);
  if (c.active !== undefined) {
    if (typeof c.active !== 'boolean') throw badRequest('active is true or false');
    await db.query('UPDATE auth_users SET status = ? WHERE id = ?', [c.active ? 'active' : 'inactive', id]);
    if (!c.active) revokedTokens = await refreshTokenRows(db).revokeAllForUser(id);
  }
  if (c.revokeTokens === true) revokedTokens = (revokedTokens ?? 0) + (await refreshTokenRows(db).revokeAllForUser(id));
  if (c.unlock === true)
    await db.query(
      `UPDATE auth_users SET failed_login_attempts = 0, locked_until = NULL,
         status = CASE WHEN status = 'locked' THEN 'active' ELSE status END WHERE id = ?`,
      [id],
    );
  if (c.totp === 'off') await db.query('UPDATE auth_users SET mfa_enabled = 0, mfa_secret = NULL WHERE id = ?', [id]);
  else if (c.totp === 'new') secrets = await newTotp(db, user);
  else if (c.totp !== undefined) throw badRequest('totp is "new" or "off"');
  if (c.password !== undefined) secrets = { ...secrets, ...(await changePassword(db, keysDir, user, c.password)) };
  return { ...(await oneUser(db, id)), ...secrets, ...(revokedTokens === undefined ? {} : { revokedTokens }) };
}

export function userAdmin(o: { db: StateDb; keysDir: string }): UserAdmin {
  return {
    list: () => readUsers(o.db, '', []),
    add: (u) => addUser(o.db, u),
    change: (id, c) => changeUser(o.db, o.keysDir, id, c),
  };
}
