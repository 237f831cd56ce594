/** The checks the user commands make before any task runs: usage mistakes (exit 2), as on every `npm run auth`. */
import { isRole, ROLES } from '../../auth/role-scopes.js';
import type { AdminUser } from '../../console/admin-api.js';
import { MIN_PASSWORD_LENGTH } from '../../console/admin/user-admin.js';
import { UsageError } from '../cli-kit.js';
import { readNewPassword, readSecretFile } from '../read-secret.js';
import type { AuthAdminTasks } from './admin-port.js';

export const FHIR_USER = /^(Patient|Practitioner|PractitionerRole|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/;

export function roleOption(role: string | undefined): string {
  if (!role) throw new UsageError('--role is required');
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${role}")`);
  return role;
}

export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

/** --password-file, --generate (`generate`: the task makes one and returns it) or typed twice / piped. */
export async function newPassword(values: { 'password-file'?: string; generate?: boolean }): Promise<string> {
  if (values.generate && values['password-file'])
    throw new UsageError('give either --password-file or --generate, not both');
  if (values.generate) return 'generate';
  return checkPassword(
    values['password-file']
      ? await readSecretFile(values['password-file'], 'password')
      : await readNewPassword('password'),
  );
}

export async function userNamed(admin: AuthAdminTasks, username: string | undefined): Promise<AdminUser> {
  if (!username) throw new UsageError('--username is required');
  const user = (await admin.users()).find((u) => u.username === username);
  if (!user) throw new Error(`no user "${username}" (npm run auth -- list-users shows them)`);
  return user;
}
