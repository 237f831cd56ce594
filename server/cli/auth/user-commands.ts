/**
 * `npm run auth -- <user command>`: the users of nilecare_auth (the server reads them at every sign-in and every
 * admin call, so a change applies at once, no restart).
 */
import { mysqlStateDb } from '../../state/state-db.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { generateSecret, generateURI } from 'otplib';
import { hashPassword } from '../../auth/login.js';
import { refreshTokenRows } from '../../auth/refresh-token-rows.js';
import { isRole, ROLES } from '../../auth/role-scopes.js';
import { parseOptions, UsageError, type CliIo } from '../cli-kit.js';
import { readNewPassword, readSecretFile } from '../read-secret.js';
import type { AuthEnv } from './auth-services.js';

export const MIN_PASSWORD_LENGTH = 12;

export const USER_COMMANDS = {
  'add-user': {
    summary: 'create a user who signs in on the login page',
    usage:
      '--username NAME --email ADDRESS --role ROLE [--fhir-user Practitioner/ID] [--first-name X] [--last-name Y] [--mfa] [--password-file FILE]',
    detail: `ROLE is one of ${ROLES.join(', ')}. Without --password-file a password is generated and printed once.
--mfa also prints a TOTP secret and an otpauth:// URI for an authenticator app.`,
  },
  'list-users': { summary: 'list users with role, status, MFA and lockout', usage: '', detail: '' },
  'set-password': {
    summary: "change a user's password (the first admin's initial password too)",
    usage: '--username NAME [--password-file FILE | --generate]',
    detail: `Without an option the password is typed twice (not echoed), or read from the first line of piped standard
input. At least ${MIN_PASSWORD_LENGTH} characters. Setting the admin's password deletes AUTH_KEYS_DIR/initial-admin-password.`,
  },
  'set-role': {
    summary: "change a user's role",
    usage: '--username NAME --role ROLE',
    detail: `ROLE: ${ROLES.join(', ')}.`,
  },
  'disable-user': {
    summary: 'stop a user from signing in (status inactive) and revoke their refresh tokens',
    usage: '--username NAME',
    detail: '',
  },
  'enable-user': { summary: 'let a disabled user sign in again (status active)', usage: '--username NAME', detail: '' },
  unlock: { summary: 'clear a lockout after too many failed sign-ins', usage: '--username NAME', detail: '' },
  'reset-totp': {
    summary: 'give a user a new TOTP secret (lost phone), or turn MFA off with --off',
    usage: '--username NAME [--off]',
    detail: '',
  },
  'revoke-tokens': {
    summary: "revoke all of a user's refresh tokens (their apps must sign in again)",
    usage: '--username NAME',
    detail: '',
  },
} as const;
export type UserCommand = keyof typeof USER_COMMANDS;

const ROLE_OPTION = (role: string | undefined) => {
  if (!role) throw new UsageError('--role is required');
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${role}")`);
  return role;
};

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

async function userId(pool: mysql.Pool, username: string | undefined): Promise<string> {
  if (!username) throw new UsageError('--username is required');
  const [rows] = await pool.execute<mysql.RowDataPacket[]>(
    'SELECT id FROM auth_users WHERE username = ? AND deleted_at IS NULL',
    [username],
  );
  if (!rows[0]) throw new Error(`no user "${username}" (npm run auth -- list-users shows them)`);
  return String(rows[0].id);
}

export async function runUserCommand(
  command: UserCommand,
  argv: readonly string[],
  pool: mysql.Pool,
  env: AuthEnv,
  io: CliIo,
): Promise<number> {
  switch (command) {
    case 'add-user': {
      const { values } = parseOptions(argv, {
        username: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string' },
        'fhir-user': { type: 'string' },
        'first-name': { type: 'string' },
        'last-name': { type: 'string' },
        mfa: { type: 'boolean' },
        'password-file': { type: 'string' },
        password: { type: 'string' },
      });
      const { username, email } = values;
      if (!username || !email) throw new UsageError('--username, --email and --role are required');
      const role = ROLE_OPTION(values.role);
      const fhirUser = values['fhir-user'];
      if (fhirUser && !/^(Patient|Practitioner|PractitionerRole|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/.test(fhirUser))
        throw new UsageError('--fhir-user must look like Practitioner/123');
      const given = values['password-file']
        ? await readSecretFile(values['password-file'], 'password')
        : values.password;
      const password = given ? checkPassword(given) : randomBytes(12).toString('base64url');
      const secret = values.mfa ? generateSecret() : undefined;
      const id = randomUUID();
      try {
        await pool.execute(
          `INSERT INTO auth_users (id, email, username, password_hash, first_name, last_name, role, status, mfa_enabled, mfa_secret, permissions, email_verified)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, 1)`,
          [
            id,
            email,
            username,
            await hashPassword(password),
            values['first-name'] ?? null,
            values['last-name'] ?? null,
            role,
            secret ? 1 : 0,
            secret ?? null,
            fhirUser ? JSON.stringify({ fhirUser }) : null,
          ],
        );
      } catch (e) {
        if ((e as { code?: string }).code === 'ER_DUP_ENTRY')
          throw new Error(`a user with username "${username}" or email "${email}" already exists`);
        throw e;
      }
      io.out(
        JSON.stringify(
          {
            id,
            username,
            role,
            ...(given ? {} : { password }),
            ...(fhirUser ? { fhirUser } : {}),
            ...(secret
              ? { totpSecret: secret, otpauth: generateURI({ issuer: 'NileCare', label: email, secret }) }
              : {}),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    case 'list-users': {
      parseOptions(argv, {});
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        `SELECT username, email, role, status, mfa_enabled, failed_login_attempts, permissions,
                CASE WHEN locked_until > UTC_TIMESTAMP() THEN 1 ELSE 0 END AS locked
           FROM auth_users WHERE deleted_at IS NULL ORDER BY username`,
      );
      const table = rows.map((r) => {
        const p = (typeof r.permissions === 'string' ? JSON.parse(r.permissions) : r.permissions) as
          { fhirUser?: unknown } | null | undefined;
        return [
          String(r.username),
          String(r.role),
          Number(r.locked) ? 'locked' : String(r.status),
          r.mfa_enabled ? 'totp' : '-',
          String(p?.fhirUser ?? '-'),
          String(r.email),
        ];
      });
      printTable(io, ['USERNAME', 'ROLE', 'STATUS', 'MFA', 'FHIR USER', 'EMAIL'], table);
      return 0;
    }
    case 'set-password': {
      const { values } = parseOptions(argv, {
        username: { type: 'string' },
        'password-file': { type: 'string' },
        generate: { type: 'boolean' },
      });
      const id = await userId(pool, values.username);
      if (values.generate && values['password-file'])
        throw new UsageError('give either --password-file or --generate, not both');
      const password = values.generate
        ? randomBytes(12).toString('base64url')
        : checkPassword(
            values['password-file']
              ? await readSecretFile(values['password-file'], 'password')
              : await readNewPassword('password'),
          );
      await pool.execute('UPDATE auth_users SET password_hash = ? WHERE id = ?', [await hashPassword(password), id]);
      io.out(
        values.generate ? `password of ${values.username}: ${password}` : `password of ${values.username} changed`,
      );
      if (values.username === 'admin') {
        const file = join(env.keysDir, 'initial-admin-password');
        await rm(file, { force: true });
        io.err(`(${file} deleted)`);
      }
      return 0;
    }
    case 'set-role': {
      const { values } = parseOptions(argv, { username: { type: 'string' }, role: { type: 'string' } });
      const role = ROLE_OPTION(values.role);
      const id = await userId(pool, values.username);
      await pool.execute('UPDATE auth_users SET role = ? WHERE id = ?', [role, id]);
      io.out(`${values.username} is now ${role} (applies to their next token; the admin console checks at once)`);
      return 0;
    }
    case 'disable-user':
    case 'enable-user': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      const id = await userId(pool, values.username);
      const status = command === 'disable-user' ? 'inactive' : 'active';
      await pool.execute('UPDATE auth_users SET status = ? WHERE id = ?', [status, id]);
      if (command === 'disable-user') {
        const n = await refreshTokenRows(mysqlStateDb(pool, 'mysql')).revokeAllForUser(id);
        io.out(`${values.username} disabled; ${n} refresh tokens revoked`);
      } else io.out(`${values.username} enabled`);
      return 0;
    }
    case 'unlock': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      const id = await userId(pool, values.username);
      await pool.execute(
        `UPDATE auth_users SET failed_login_attempts = 0, locked_until = NULL, status = IF(status = 'locked', 'active', status) WHERE id = ?`,
        [id],
      );
      io.out(`unlocked ${values.username}`);
      return 0;
    }
    case 'reset-totp': {
      const { values } = parseOptions(argv, { username: { type: 'string' }, off: { type: 'boolean' } });
      const id = await userId(pool, values.username);
      if (values.off) {
        await pool.execute('UPDATE auth_users SET mfa_enabled = 0, mfa_secret = NULL WHERE id = ?', [id]);
        io.out(`MFA turned off for ${values.username}`);
        return 0;
      }
      const [[row]] = await pool.execute<mysql.RowDataPacket[]>('SELECT email FROM auth_users WHERE id = ?', [id]);
      const secret = generateSecret();
      await pool.execute('UPDATE auth_users SET mfa_enabled = 1, mfa_secret = ? WHERE id = ?', [secret, id]);
      io.out(
        JSON.stringify(
          {
            username: values.username,
            totpSecret: secret,
            otpauth: generateURI({ issuer: 'NileCare', label: String(row?.email ?? values.username), secret }),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    case 'revoke-tokens': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      const id = await userId(pool, values.username);
      io.out(`revoked ${await refreshTokenRows(mysqlStateDb(pool, 'mysql')).revokeAllForUser(id)} refresh tokens`);
      return 0;
    }
  }
}

export function printTable(io: CliIo, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  io.out(line(head));
  for (const r of rows) io.out(line(r));
  if (rows.length === 0) io.out('(none)');
}
