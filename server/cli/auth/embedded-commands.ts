/**
 * `npm run auth -- <user or client command>` on the embedded default: the same commands, options and output as on
 * MySQL/Redis (user-commands.ts, client-commands.ts), carried out by the administrator's tasks of the console
 * (AdminTasks) — on the folder itself when no server runs, else through the running server (embedded-admin.ts).
 */
import { writeFile } from 'node:fs/promises';
import type { AdminTasks, AdminUser, UserChange } from '../../console/admin-api.js';
import { isRole, ROLES } from '../../auth/role-scopes.js';
import { parseOptions, UsageError, type CliIo } from '../cli-kit.js';
import { readNewPassword, readSecretFile } from '../read-secret.js';
import { MIN_PASSWORD_LENGTH, printTable, type UserCommand } from './user-commands.js';
import { backendKeyPair, readRegistration, readJwksFile, type ClientCommand } from './client-commands.js';
import type { BackendCredentials } from './token-command.js';
import { CONSOLE_CLIENT_ID } from '../../console/console-client.js';

const role = (value: string | undefined): string => {
  if (!value) throw new UsageError('--role is required');
  if (!isRole(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${value}")`);
  return value;
};

async function userNamed(tasks: AdminTasks, username: string | undefined): Promise<AdminUser> {
  if (!username) throw new UsageError('--username is required');
  const user = (await tasks.users()).find((u) => u.username === username);
  if (!user) throw new Error(`no user "${username}" (npm run auth -- list-users shows them)`);
  return user;
}

async function newPassword(values: { 'password-file'?: string; generate?: boolean }): Promise<string> {
  if (values.generate && values['password-file'])
    throw new UsageError('give either --password-file or --generate, not both');
  if (values.generate) return 'generate';
  const password = values['password-file']
    ? await readSecretFile(values['password-file'], 'password')
    : await readNewPassword('password');
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

export async function runEmbeddedUserCommand(
  command: UserCommand,
  argv: readonly string[],
  tasks: AdminTasks,
  io: CliIo,
): Promise<number> {
  const change = async (username: string | undefined, c: UserChange) =>
    tasks.changeUser((await userNamed(tasks, username)).id, c);
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
      if (!values.username || !values.email) throw new UsageError('--username, --email and --role are required');
      const password = values['password-file']
        ? await readSecretFile(values['password-file'], 'password')
        : values.password;
      if (password !== undefined && password.length < MIN_PASSWORD_LENGTH)
        throw new UsageError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
      const added = await tasks.addUser({
        username: values.username,
        email: values.email,
        role: role(values.role),
        ...(values['fhir-user'] ? { fhirUser: values['fhir-user'] } : {}),
        ...(values['first-name'] ? { firstName: values['first-name'] } : {}),
        ...(values['last-name'] ? { lastName: values['last-name'] } : {}),
        ...(password ? { password } : {}),
        ...(values.mfa ? { mfa: true } : {}),
      });
      io.out(
        JSON.stringify(
          {
            id: added.id,
            username: added.username,
            role: added.role,
            ...(added.password ? { password: added.password } : {}),
            ...(added.fhirUser ? { fhirUser: added.fhirUser } : {}),
            ...(added.totpSecret ? { totpSecret: added.totpSecret, otpauth: added.otpauth } : {}),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    case 'list-users': {
      parseOptions(argv, {});
      const rows = (await tasks.users()).map((u) => [
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
    case 'set-password': {
      const { values } = parseOptions(argv, {
        username: { type: 'string' },
        'password-file': { type: 'string' },
        generate: { type: 'boolean' },
      });
      const user = await userNamed(tasks, values.username);
      const changed = await tasks.changeUser(user.id, { password: await newPassword(values) });
      io.out(
        changed.password ? `password of ${user.username}: ${changed.password}` : `password of ${user.username} changed`,
      );
      if (user.username === 'admin') io.err('(the initial-admin-password file is deleted)');
      return 0;
    }
    case 'set-role': {
      const { values } = parseOptions(argv, { username: { type: 'string' }, role: { type: 'string' } });
      const r = role(values.role);
      await change(values.username, { role: r });
      io.out(`${values.username} is now ${r} (applies to their next token; the admin console checks at once)`);
      return 0;
    }
    case 'disable-user':
    case 'enable-user': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      await change(values.username, { active: command === 'enable-user' });
      io.out(
        command === 'disable-user'
          ? `${values.username} disabled; their refresh tokens revoked`
          : `${values.username} enabled`,
      );
      return 0;
    }
    case 'unlock': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      await change(values.username, { unlock: true });
      io.out(`unlocked ${values.username}`);
      return 0;
    }
    case 'reset-totp': {
      const { values } = parseOptions(argv, { username: { type: 'string' }, off: { type: 'boolean' } });
      const changed = await change(values.username, { totp: values.off ? 'off' : 'new' });
      if (values.off) io.out(`MFA turned off for ${values.username}`);
      else io.out(JSON.stringify({ totpSecret: changed.totpSecret, otpauth: changed.otpauth }, null, 2));
      return 0;
    }
    case 'revoke-tokens': {
      const { values } = parseOptions(argv, { username: { type: 'string' } });
      await change(values.username, { revokeTokens: true });
      io.out(`revoked the refresh tokens of ${values.username}`);
      return 0;
    }
  }
}

export async function runEmbeddedClientCommand(
  command: ClientCommand,
  argv: readonly string[],
  tasks: AdminTasks,
  fhirBaseUrl: string,
  io: CliIo,
): Promise<number> {
  const register = async (registration: Record<string, unknown>, replace: boolean) => {
    const id = registration.client_id;
    if (
      replace &&
      typeof id === 'string' &&
      id !== CONSOLE_CLIENT_ID &&
      (await tasks.clients()).some((c) => c.clientId === id)
    )
      await tasks.revokeClient(id);
    return tasks.registerClient(registration);
  };
  switch (command) {
    case 'register-client': {
      const { values } = parseOptions(argv, {
        file: { type: 'string' },
        json: { type: 'string' },
        replace: { type: 'boolean' },
      });
      const registration = await readRegistration(values);
      io.out(JSON.stringify(await register(registration as never, values.replace === true), null, 2));
      return 0;
    }
    case 'register-backend': {
      const { values } = parseOptions(argv, {
        'client-id': { type: 'string' },
        name: { type: 'string' },
        scope: { type: 'string' },
        'key-out': { type: 'string' },
        'jwks-file': { type: 'string' },
        replace: { type: 'boolean' },
      });
      const clientId = values['client-id'];
      if (!clientId) throw new UsageError('--client-id is required');
      if (!values['key-out'] === !values['jwks-file']) throw new UsageError('give --key-out FILE or --jwks-file FILE');
      const scope = values.scope ?? 'system/*.rs';
      const keys = values['jwks-file'] ? { jwks: await readJwksFile(values['jwks-file']) } : await backendKeyPair();
      const registered = await register(
        {
          client_id: clientId,
          client_name: values.name ?? clientId,
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['client_credentials'],
          scope,
          jwks: keys.jwks,
        },
        values.replace === true,
      );
      if ('privateJwk' in keys) {
        const credentials: BackendCredentials = {
          client_id: clientId,
          fhir_base_url: fhirBaseUrl,
          scope,
          private_jwk: keys.privateJwk,
        };
        await writeFile(values['key-out']!, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
      }
      io.out(
        JSON.stringify(
          {
            client_id: registered.client_id,
            scope,
            ...(values['key-out'] ? { key_file: values['key-out'] } : {}),
            registration_access_token: registered.registration_access_token,
          },
          null,
          2,
        ),
      );
      if (values['key-out'])
        io.err(`next: npm run -s auth -- token --key ${values['key-out']}   (prints an access token)`);
      return 0;
    }
    case 'list-clients': {
      parseOptions(argv, {});
      const rows = (await tasks.clients()).map((c) => [c.clientId, c.kind, c.authMethod, c.scope, c.name]);
      printTable(io, ['CLIENT ID', 'KIND', 'AUTH', 'SCOPE CEILING', 'NAME'], rows);
      return 0;
    }
    case 'remove-client': {
      const { values } = parseOptions(argv, { 'client-id': { type: 'string' } });
      const id = values['client-id'];
      if (!id) throw new UsageError('--client-id is required');
      await tasks.revokeClient(id);
      io.out(`removed client ${id}`);
      return 0;
    }
  }
}
