/**
 * `npm run auth -- <user command>`: the users of nilecare_auth (the server reads them at every sign-in and every
 * admin call, so a change applies at once, no restart). One implementation over the admin tasks (admin-port.ts),
 * whether the users are in MySQL or embedded.
 */
import { join } from 'node:path';
import { ROLES } from '../../auth/role-scopes.js';
import { MIN_PASSWORD_LENGTH } from '../../console/admin/user-admin.js';
import { parseOptions } from '../cli-kit.js';
import type { AuthCommand, CommandContext } from './admin-port.js';
import { ADD_USER } from './add-user-command.js';
import { printTable } from './print-table.js';
import { newPassword, roleOption, userNamed } from './user-options.js';

const USERNAME = { username: { type: 'string' } } as const;

async function listUsers({ argv, admin, io }: CommandContext): Promise<number> {
  parseOptions(argv, {});
  const rows = (await admin.users()).map((u) => [
    u.username,
    u.role,
    u.locked ? 'locked' : u.status,
    u.mfa ? 'totp' : '-',
    u.fhirUser ?? '-',
    u.email,
  ]);
  printTable(io, ['USERNAME', 'ROLE', 'STATUS', 'MFA', 'FHIR USER', 'EMAIL'], rows);
  return 0;
}

async function setPassword(c: CommandContext): Promise<number> {
  const { values } = parseOptions(c.argv, {
    ...USERNAME,
    'password-file': { type: 'string' },
    generate: { type: 'boolean' },
  });
  const user = await userNamed(c.admin, values.username);
  const changed = await c.admin.changeUser(user.id, { password: await newPassword(values) });
  c.io.out(
    changed.password ? `password of ${user.username}: ${changed.password}` : `password of ${user.username} changed`,
  );
  // the task deleted it (user-admin.ts): the first admin's initial password is void now
  if (user.username === 'admin') c.io.err(`(${join(c.env.keysDir, 'initial-admin-password')} deleted)`);
  return 0;
}

async function setRole(c: CommandContext): Promise<number> {
  const { values } = parseOptions(c.argv, { ...USERNAME, role: { type: 'string' } });
  const role = roleOption(values.role);
  const user = await userNamed(c.admin, values.username);
  await c.admin.changeUser(user.id, { role });
  c.io.out(`${user.username} is now ${role} (applies to their next token; the admin console checks at once)`);
  return 0;
}

const setActive =
  (active: boolean) =>
  async (c: CommandContext): Promise<number> => {
    const user = await userNamed(c.admin, parseOptions(c.argv, USERNAME).values.username);
    const changed = await c.admin.changeUser(user.id, { active });
    c.io.out(
      active
        ? `${user.username} enabled`
        : `${user.username} disabled; ${changed.revokedTokens ?? 0} refresh tokens revoked`,
    );
    return 0;
  };

async function unlock(c: CommandContext): Promise<number> {
  const user = await userNamed(c.admin, parseOptions(c.argv, USERNAME).values.username);
  await c.admin.changeUser(user.id, { unlock: true });
  c.io.out(`unlocked ${user.username}`);
  return 0;
}

async function resetTotp(c: CommandContext): Promise<number> {
  const { values } = parseOptions(c.argv, { ...USERNAME, off: { type: 'boolean' } });
  const user = await userNamed(c.admin, values.username);
  const username = user.username;
  const changed = await c.admin.changeUser(user.id, { totp: values.off ? 'off' : 'new' });
  if (values.off) c.io.out(`MFA turned off for ${username}`);
  else c.io.out(JSON.stringify({ username, totpSecret: changed.totpSecret, otpauth: changed.otpauth }, null, 2));
  return 0;
}

async function revokeTokens(c: CommandContext): Promise<number> {
  const user = await userNamed(c.admin, parseOptions(c.argv, USERNAME).values.username);
  const changed = await c.admin.changeUser(user.id, { revokeTokens: true });
  c.io.out(`revoked ${changed.revokedTokens ?? 0} refresh tokens`);
  return 0;
}

export const USER_COMMANDS = {
  'add-user': ADD_USER,
  'list-users': { summary: 'list users with role, status, MFA and lockout', usage: '', detail: '', run: listUsers },
  'set-password': {
    summary: "change a user's password (the first admin's initial password too)",
    usage: '--username NAME [--password-file FILE | --generate]',
    detail: `Without an option the password is typed twice (not echoed), or read from the first line of piped standard
input. At least ${MIN_PASSWORD_LENGTH} characters. Setting the admin's password deletes AUTH_KEYS_DIR/initial-admin-password.`,
    run: setPassword,
  },
  'set-role': {
    summary: "change a user's role",
    usage: '--username NAME --role ROLE',
    detail: `ROLE: ${ROLES.join(', ')}.`,
    run: setRole,
  },
  'disable-user': {
    summary: 'stop a user from signing in (status inactive) and revoke their refresh tokens',
    usage: '--username NAME',
    detail: '',
    run: setActive(false),
  },
  'enable-user': {
    summary: 'let a disabled user sign in again (status active)',
    usage: '--username NAME',
    detail: '',
    run: setActive(true),
  },
  unlock: {
    summary: 'clear a lockout after too many failed sign-ins',
    usage: '--username NAME',
    detail: '',
    run: unlock,
  },
  'reset-totp': {
    summary: 'give a user a new TOTP secret (lost phone), or turn MFA off with --off',
    usage: '--username NAME [--off]',
    detail: '',
    run: resetTotp,
  },
  'revoke-tokens': {
    summary: "revoke all of a user's refresh tokens (their apps must sign in again)",
    usage: '--username NAME',
    detail: '',
    run: revokeTokens,
  },
} satisfies Record<string, AuthCommand>;
export type UserCommand = keyof typeof USER_COMMANDS;
