/**
 * Granted SMART scopes + launch context → AccessPolicy (server/fhir/access-policy.ts). Pure code.
 *
 * Rules (fail closed):
 * - `patient/` scopes count only when the token carries a patient context; then `compartment` is that
 *   patient and confines every interaction, including those granted by `user/` scopes in the same token.
 * - `user/` and `system/` scopes grant their actions on their types without a compartment.
 * - v2 constraints narrow read/search: `constraints(type)` lists the alternatives; a type reachable through an
 *   unconstrained r/s scope has no constraint.
 */
import { scopeActionOf, type AccessPolicy, type Interaction, type ScopeAction } from '../fhir/access-policy.js';
import { parseScopes, type ResourceScope } from './scopes.js';

export interface TokenContext {
  /** Space-separated granted scopes. */
  readonly scope: string;
  /** Patient id (not a reference) from the launch context. */
  readonly patient?: string;
  readonly encounter?: string;
  /** `Practitioner/123`, `Patient/456`. */
  readonly fhirUser?: string;
  /** OAuth client id. */
  readonly clientId?: string;
  /** Subject: auth_users.id, or the client id for backend services. */
  readonly sub?: string;
}

export interface SmartAccessPolicy extends AccessPolicy {
  readonly scopes: readonly ResourceScope[];
  readonly clientId?: string;
  /** auth_users.id when a person is behind the token (absent for backend services). */
  readonly userId?: string;
  readonly fhirUser?: string;
  readonly encounter?: string;
}

export function policyFromScopes(ctx: TokenContext): SmartAccessPolicy {
  const parsed = parseScopes(ctx.scope);
  const patientId = ctx.patient && /^[A-Za-z0-9\-.]{1,64}$/.test(ctx.patient) ? ctx.patient : undefined;
  const usable = parsed.resource.filter((s) => s.context !== 'patient' || patientId !== undefined);
  const hasPatientScope = usable.some((s) => s.context === 'patient');
  const compartment = hasPatientScope ? `Patient/${patientId}` : undefined;

  const grants = (action: ScopeAction, type: string) =>
    usable.filter((s) => (s.resourceType === '*' || s.resourceType === type) && s.actions.includes(action));

  const who =
    ctx.fhirUser ??
    (ctx.sub && ctx.sub !== ctx.clientId ? `user:${ctx.sub}` : ctx.clientId ? `client:${ctx.clientId}` : 'unknown');

  return {
    who: ctx.clientId && ctx.fhirUser ? `${ctx.fhirUser} via client:${ctx.clientId}` : who,
    ...(compartment ? { compartment } : {}),
    scopes: usable,
    ...(ctx.clientId ? { clientId: ctx.clientId } : {}),
    ...(ctx.sub && ctx.sub !== ctx.clientId ? { userId: ctx.sub } : {}),
    ...(ctx.fhirUser ? { fhirUser: ctx.fhirUser } : {}),
    ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
    allows(interaction: Interaction, resourceType: string): boolean {
      return grants(scopeActionOf(interaction), resourceType).length > 0;
    },
    constraints(resourceType: string): Array<Record<string, string>> | undefined {
      const readers = [...grants('r', resourceType), ...grants('s', resourceType)];
      if (readers.length === 0) return undefined;
      if (readers.some((s) => !s.constraints)) return undefined;
      const out: Array<Record<string, string>> = [];
      const seen = new Set<string>();
      for (const s of readers) {
        const key = JSON.stringify(s.constraints);
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ ...s.constraints });
        }
      }
      return out;
    },
  };
}
