/**
 * Who may use the console's admin API: a bearer token from the server's own SMART authorisation server that
 * carries the admin scope (only the console client is registered for it) AND whose user is an active account with
 * the `admin` role in nilecare_auth (read at each call, so a demoted or disabled administrator loses access at
 * once). An administrator's token issued to any other app opens nothing here.
 */
import { forbidden } from '../../fhir/errors.js';
import type { AccessPolicy } from '../../fhir/access-policy.js';
import { isAdmin, type UserDirectory } from '../../auth/admin-access.js';

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
