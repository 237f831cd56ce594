/**
 * 401 and 403 as FhirErrors carrying the WWW-Authenticate value (RFC 6750 §3) that server/http must send.
 */
import { FhirError, issue, operationOutcome } from '../fhir/errors.js';
import type { AccessPolicy, Interaction } from '../fhir/access-policy.js';

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export class AuthError extends FhirError {
  constructor(
    status: 401 | 403 | 400,
    /** Value for the WWW-Authenticate response header. */
    readonly wwwAuthenticate: string,
    diagnostics: string,
  ) {
    super(
      status,
      operationOutcome([issue(status === 403 ? 'forbidden' : status === 400 ? 'invalid' : 'login', diagnostics)]),
    );
    this.name = 'AuthError';
  }
}

const quote = (s: string) => s.replace(/["\\]/g, "'");

export function bearerChallenge(realm: string, error?: BearerErrorCode, description?: string, scope?: string): string {
  const parts = [`realm="${quote(realm)}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${quote(description)}"`);
  if (scope) parts.push(`scope="${quote(scope)}"`);
  return `Bearer ${parts.join(', ')}`;
}

export function unauthorized(realm: string, description: string, error?: BearerErrorCode): AuthError {
  return new AuthError(
    error === 'invalid_request' ? 400 : 401,
    bearerChallenge(realm, error, description),
    description,
  );
}

/** 403 for a valid token that does not allow this: to be thrown by the FHIR layer (or use requireAllowed). */
export function insufficientScope(realm: string, description: string, neededScope?: string): AuthError {
  return new AuthError(403, bearerChallenge(realm, 'insufficient_scope', description, neededScope), description);
}

/** Throws 403 (insufficient_scope) unless the policy allows the interaction on the type. */
export function requireAllowed(
  policy: AccessPolicy,
  interaction: Interaction,
  resourceType: string,
  realm = 'NileCare FHIR',
): void {
  if (policy.allows(interaction, resourceType)) return;
  throw insufficientScope(realm, `The access token does not allow ${interaction} on ${resourceType}`);
}
