/**
 * Admin power (console admin API, client registration, /metrics for people): a token carrying the admin scope,
 * which only clients registered with it (the console) can be granted and only to admin users, AND a user who is an
 * active administrator now (read at each call: a demoted or disabled administrator loses it at once).
 */
import type { AccessPolicy } from '../fhir/access-policy.js';
import type { SmartAccessPolicy } from './scope-policy.js';
import { ADMIN_SCOPE, METRICS_SCOPE } from './scopes.js';

export type UserDirectory = (userId: string) => Promise<{ role: string; status: string } | undefined>;

export async function isAdmin(policy: AccessPolicy, userOf: UserDirectory): Promise<boolean> {
  const p = policy as Partial<SmartAccessPolicy>;
  if (!p.serverScopes?.has(ADMIN_SCOPE) || !p.userId) return false;
  const user = await userOf(p.userId);
  return !!user && user.role === 'admin' && user.status.toLowerCase() === 'active';
}

/** /metrics: a backend service granted the metrics scope, or an administrator. */
export async function mayReadMetrics(policy: AccessPolicy, userOf: UserDirectory): Promise<boolean> {
  const p = policy as Partial<SmartAccessPolicy>;
  if (p.serverScopes?.has(METRICS_SCOPE) && !p.userId) return true;
  return isAdmin(policy, userOf);
}
