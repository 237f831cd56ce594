/**
 * Verifying our own JWT access tokens (signature with the current JWKS, issuer, audience = FHIR base, expiry,
 * type at+jwt) and reading the SMART claims out of them.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

export interface AccessTokenClaims extends JWTPayload {
  readonly scope?: string;
  readonly client_id?: string;
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirUser?: string;
  readonly grant_id?: string;
}

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

export interface AccessTokenVerifier {
  verify(token: string): Promise<TokenCheck>;
  /** Call after key rotation. */
  setJwks(jwks: JSONWebKeySet): void;
}

export function accessTokenVerifier(o: {
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  clockToleranceSeconds?: number;
  /** Called when a token names a key we do not have (another node rotated): may return a newer key set. */
  onUnknownKey?: () => Promise<JSONWebKeySet | undefined>;
}): AccessTokenVerifier {
  let keySet = createLocalJWKSet(o.jwks);
  // Tokens already verified, until they expire: a client sends the same token with every request, and the signature
  // check was the largest cost of an authorised read. Revocation is still asked per request (context-store.ts).
  const verified = new Map<string, AccessTokenClaims>();
  const verifier: AccessTokenVerifier = {
    setJwks(jwks) {
      keySet = createLocalJWKSet(jwks);
      verified.clear();
    },
    async verify(token) {
      const known = verified.get(token);
      if (known && (known.exp ?? 0) * 1000 > Date.now()) return { ok: true, claims: known };
      if (known) verified.delete(token);
      const checked = await verifyFresh(token);
      if (checked.ok) {
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
        verified.set(token, checked.claims);
      }
      return checked;
    },
  };
  return verifier;

  async function verifyFresh(token: string): Promise<TokenCheck> {
    const first = await verifyOnce(token);
    if (first.ok || first.reason !== NO_KEY || !o.onUnknownKey) return first;
    const fresh = await o.onUnknownKey();
    if (!fresh) return first;
    keySet = createLocalJWKSet(fresh);
    verified.clear();
    return verifyOnce(token);
  }

  async function verifyOnce(token: string): Promise<TokenCheck> {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || token.length > 16_384) {
      return { ok: false, reason: 'the access token is not a JWT issued by this server' };
    }
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, keySet, {
        issuer: o.issuer,
        audience: o.audience,
        typ: 'at+jwt',
        algorithms: ['RS256', 'ES384'],
        clockTolerance: o.clockToleranceSeconds ?? 1,
        requiredClaims: ['exp', 'jti', 'client_id'],
      });
      return { ok: true, claims: payload };
    } catch (e) {
      const code = (e as { code?: string }).code;
      const reason =
        code === 'ERR_JWT_EXPIRED'
          ? 'the access token has expired'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? `the access token is not valid here (${(e as Error).message})`
            : code === 'ERR_JWKS_NO_MATCHING_KEY'
              ? NO_KEY
              : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
                ? 'the access token signature does not verify'
                : 'the access token is malformed';
      return { ok: false, reason };
    }
  }
}

const VERIFIED_CACHE_SIZE = 10_000;
const NO_KEY = 'the access token is signed with a key this server does not know';
