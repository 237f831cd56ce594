/**
 * Who may use the console's admin API: a bearer token from the server's own SMART authorisation server that
 * carries the admin scope (only the console client is registered for it) AND whose user is an active account with
 * the `admin` role in nilecare_auth (read at each call, so a demoted or disabled administrator loses access at
 * once). An administrator's token issued to any other app opens nothing here.
 */
import { forbidden } from '../../fhir/errors.js';
import type { AccessPolicy } from '../../fhir/access-policy.js';
import { isAdmin, type UserDirectory } from '../../auth/admin-access.js';
import type { SmartAccessPolicy } from '../../auth/scope-policy.js';
import { CONSOLE_CLIENT_ID } from '../console-client.js';

export type AuthorizeAdmin = (authorizationHeader: string | undefined) => Promise<void>;

export function adminAuthorizer(o: {
  /** Throws a FhirError 401 for a missing or bad token (SmartAuth.authenticate). */
  authenticate: (header: string | undefined) => Promise<AccessPolicy>;
  /** auth_users role and status of a user id. */
  userOf: UserDirectory;
}): AuthorizeAdmin {
  return async (header) => {
    const policy = await o.authenticate(header);
    if (!(await isAdmin(policy, o.userOf)))
      throw forbidden('The operations console needs a console sign-in (admin scope) by a user with the admin role');
  };
}

/** Roles besides admin that may look at read-only operations pages (the subscriptions list) in the console. */
export const CONSOLE_VIEWER_ROLES: ReadonlySet<string> = new Set(['auditor']);

/**
 * Read-only operations pages (#22: the subscriptions list): an administrator as above, or a token the console client
 * got for an active user with a viewer role (auditor). The role is read at each call, like the admin role; a viewer's
 * token issued to any other app opens nothing here.
 */
export function viewerAuthorizer(o: {
  authenticate: (header: string | undefined) => Promise<AccessPolicy>;
  userOf: UserDirectory;
}): AuthorizeAdmin {
  return async (header) => {
    const policy = await o.authenticate(header);
    if (await isAdmin(policy, o.userOf)) return;
    const p = policy as Partial<SmartAccessPolicy>;
    const user = p.clientId === CONSOLE_CLIENT_ID && p.userId ? await o.userOf(p.userId) : undefined;
    if (user && CONSOLE_VIEWER_ROLES.has(user.role) && user.status.toLowerCase() === 'active') return;
    throw forbidden('This console page needs a console sign-in by a user with the admin or auditor role');
  };
}
