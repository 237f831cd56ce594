/**
 * Who may use the console's admin API: a bearer token from the server's own SMART authorisation server whose
 * user is an active account with the `admin` role in nilecare_auth (read at each call, so a demoted or
 * disabled administrator loses access at once, not when the token expires).
 */
import { forbidden } from '../../fhir/errors.js';
import type { AccessPolicy } from '../../fhir/access-policy.js';

export type AuthorizeAdmin = (authorizationHeader: string | undefined) => Promise<void>;

export function adminAuthorizer(o: {
  /** Throws a FhirError 401 for a missing or bad token (SmartAuth.authenticate). */
  authenticate: (header: string | undefined) => Promise<AccessPolicy>;
  /** auth_users role and status of a user id. */
  userOf: (userId: string) => Promise<{ role: string; status: string } | undefined>;
}): AuthorizeAdmin {
  return async (header) => {
    const policy = (await o.authenticate(header)) as AccessPolicy & { userId?: string };
    const user = policy.userId ? await o.userOf(policy.userId) : undefined;
    if (!user || user.role !== 'admin' || user.status !== 'active')
      throw forbidden('The operations console needs the admin role');
  };
}
