/**
 * Granted SMART scopes + launch context → AccessPolicy (server/fhir/access-policy.ts). Pure code.
 *
 * Rules (fail closed):
 * - `patient/` scopes count only when the token carries a patient context; then `compartment` is that
 *   patient and confines every interaction, including those granted by `user/` scopes in the same token.
 * - `user/` and `system/` scopes grant their actions on their types without a compartment.
 * - v2 constraints narrow read/search: `constraints(type)` lists the alternatives; a type reachable through an
 *   unconstrained r/s scope has no constraint. `constraints(type, 'c' | 'u' | 'd')` does the same for writes.
 * - A wildcard does not cover AuditEvent (scopes.ts EXPLICIT_SCOPE_TYPES). Without an explicit AuditEvent scope (audit
 *   roles only), a user-context wildcard read grants the user's own audit trail (AuditEvent.agent = the user) and a
 *   patient reading their own record sees the AuditEvents about themselves; nobody else's trail.
 */
import { scopeActionOf, type AccessPolicy, type Interaction, type ScopeAction } from '../fhir/access-policy.js';
import { EXPLICIT_SCOPE_TYPES, parseScopes, type ResourceScope, type ServerScope } from './scopes.js';

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
  /** NileCare server scopes in the token (`nilecare-admin`, `nilecare-metrics`); admin power also needs the role. */
  readonly serverScopes: ReadonlySet<ServerScope>;
}

type Grant = { readonly constraints?: Readonly<Record<string, string>> };

/** Distinct (action, type) pairs whose grants a policy keeps. */
const MAX_KNOWN_GRANTS = 2_048;

export function policyFromScopes(ctx: TokenContext): SmartAccessPolicy {
  const parsed = parseScopes(ctx.scope);
  const patientId = ctx.patient && /^[A-Za-z0-9\-.]{1,64}$/.test(ctx.patient) ? ctx.patient : undefined;
  const usable = parsed.resource.filter((s) => s.context !== 'patient' || patientId !== undefined);
  // patient/ scopes granted without a patient context count for nothing (fail closed); say so in the 403.
  const withoutContext = parsed.resource.filter((s) => s.context === 'patient' && patientId === undefined);
  const hasPatientScope = usable.some((s) => s.context === 'patient');
  const compartment = hasPatientScope ? `Patient/${patientId}` : undefined;

  // The grants per action and type, worked out once per policy (a policy lives as long as its token's claims and is
  // asked several times per request); bounded, since types come from requests.
  const known = new Map<string, readonly Grant[]>();
  const grants = (action: ScopeAction, type: string): readonly Grant[] => {
    const key = `${action} ${type}`;
    let found = known.get(key);
    if (!found) {
      found = grantsOf(action, type);
      if (known.size < MAX_KNOWN_GRANTS) known.set(key, found);
    }
    return found;
  };
  const grantsOf = (action: ScopeAction, type: string): Grant[] => {
    const explicitOnly = EXPLICIT_SCOPE_TYPES.has(type);
    const direct = usable.filter(
      (s) => (s.resourceType === type || (s.resourceType === '*' && !explicitOnly)) && s.actions.includes(action),
    );
    if (!explicitOnly || direct.length > 0 || (action !== 'r' && action !== 's')) return direct;
    // The caller's own audit trail through a wildcard read scope.
    const wildcard = usable.filter((s) => s.resourceType === '*' && s.actions.includes(action));
    const own: Grant[] = [];
    if (ctx.fhirUser && wildcard.some((s) => s.context === 'user')) own.push({ constraints: { agent: ctx.fhirUser } });
    if (patientId && ctx.fhirUser === `Patient/${patientId}` && wildcard.some((s) => s.context === 'patient'))
      own.push({});
    return own;
  };

  const who =
    ctx.fhirUser ??
    (ctx.sub && ctx.sub !== ctx.clientId ? `user:${ctx.sub}` : ctx.clientId ? `client:${ctx.clientId}` : 'unknown');

  return {
    who: ctx.clientId && ctx.fhirUser ? `${ctx.fhirUser} via client:${ctx.clientId}` : who,
    ...(compartment ? { compartment } : {}),
    scopes: usable,
    serverScopes: parsed.server,
    ...(ctx.clientId ? { clientId: ctx.clientId } : {}),
    ...(ctx.sub && ctx.sub !== ctx.clientId ? { userId: ctx.sub } : {}),
    ...(ctx.fhirUser ? { fhirUser: ctx.fhirUser } : {}),
    ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
    allows(interaction: Interaction, resourceType: string): boolean {
      return grants(scopeActionOf(interaction), resourceType).length > 0;
    },
    explainDenial(interaction: Interaction, resourceType: string): string | undefined {
      const action = scopeActionOf(interaction);
      const explicitOnly = EXPLICIT_SCOPE_TYPES.has(resourceType);
      const would = withoutContext.some(
        (s) =>
          (s.resourceType === resourceType || (s.resourceType === '*' && !explicitOnly)) && s.actions.includes(action),
      );
      return would
        ? 'its patient/ scopes need a patient context and the token has none — the app must also ask for launch/patient (standalone launch, a patient is picked at sign-in) or be launched from the EHR with launch'
        : undefined;
    },
    constraints(resourceType: string, action: ScopeAction = 'r'): Array<Record<string, string>> | undefined {
      const relevant =
        action === 'r' || action === 's'
          ? [...grants('r', resourceType), ...grants('s', resourceType)]
          : grants(action, resourceType);
      if (relevant.length === 0) return undefined;
      if (relevant.some((s) => !s.constraints)) return undefined;
      const out: Array<Record<string, string>> = [];
      const seen = new Set<string>();
      for (const s of relevant) {
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
