/**
 * Bearer token → AccessPolicy: the signature and claims (access-token.ts), then revocation (context-store.ts), then
 * the SMART scopes as a policy (scope-policy.ts). Every refusal is audited and thrown as a 401 AuthError.
 * The policy of a token is made once: the verifier hands back the same claims object for a token it verified before
 * (until it expires or the keys change), and the policy is kept beside it (a pure function of the claims, never
 * changed by its users). Revocation is asked at every request, or for a token without a grant, at most once a second
 * (context-store.ts: REVOCATION_CHECK_STALENESS_MS).
 */
import type { AccessPolicy } from '../fhir/access-policy.js';
import type { AccessTokenVerifier } from './access-token.js';
import type { AccessAuditEvent } from './audit-event.js';
import { unauthorized } from './auth-errors.js';
import { REVOCATION_CHECK_STALENESS_MS, type ContextStore } from './context-store.js';
import type { AccessTokenClaims } from './access-token.js';
import { policyFromScopes, type SmartAccessPolicy } from './scope-policy.js';

/** Where a request came from; read only when a refusal is audited (so it may be made of getters). */
type Authenticated = { readonly ip?: string | undefined; readonly userAgent?: string | undefined } | undefined;

export type Authenticate = (authorizationHeader: string | undefined, from?: Authenticated) => Promise<AccessPolicy>;

/** The access token of an `Authorization: Bearer <token>` header; undefined when the header is missing or not that. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)?.[1] : undefined;
}

export function bearerAuthentication(o: {
  fhirBaseUrl: string;
  verifier: AccessTokenVerifier;
  contexts: ContextStore;
  audit: (e: AccessAuditEvent) => Promise<void>;
  /** Development only: every request gets full access. */
  devDisableAuth: boolean;
}): Authenticate {
  const policies = new WeakMap<AccessTokenClaims, SmartAccessPolicy>();
  const deny = async (description: string, bad: boolean, from: Authenticated) => {
    await o.audit({
      action: 'authenticate',
      outcome: 'denied',
      who: 'anonymous',
      detail: description,
      ...(from?.ip ? { ip: from.ip } : {}),
      ...(from?.userAgent ? { userAgent: from.userAgent } : {}),
      status: 401,
    });
    return unauthorized(o.fhirBaseUrl, description, bad ? 'invalid_token' : undefined);
  };
  return async (header, from) => {
    if (o.devDisableAuth)
      return { who: 'anonymous (authorisation disabled)', allows: () => true, constraints: () => undefined };
    if (!header || !header.trim())
      throw await deny('An access token is required (Authorization: Bearer <token>)', false, from);
    const token = bearerToken(header);
    if (!token) throw await deny('The Authorization header must be "Bearer <access token>"', true, from);
    const check = await o.verifier.verify(token);
    if (!check.ok) throw await deny(check.reason, true, from);
    const c = check.claims;
    if (!(await o.contexts.tokenStillValid(String(c.jti), c.grant_id, REVOCATION_CHECK_STALENESS_MS)))
      throw await deny('the access token has been revoked', true, from);
    let policy = policies.get(c);
    if (!policy) {
      policy = policyFromScopes({
        scope: c.scope ?? '',
        ...(c.patient ? { patient: c.patient } : {}),
        ...(c.encounter ? { encounter: c.encounter } : {}),
        ...(c.fhirUser ? { fhirUser: c.fhirUser } : {}),
        ...(c.client_id ? { clientId: c.client_id } : {}),
        ...(c.sub ? { sub: c.sub } : {}),
      });
      policies.set(c, policy);
    }
    return policy;
  };
}
