/**
 * Small shared state in Redis: EHR launch contexts, the SMART context bound to each grant, and the
 * deny-list of revoked access tokens (by jti, until they would expire anyway).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { grantModelKey } from './redis-adapter.js';

export interface LaunchContext {
  readonly patient?: string;
  readonly encounter?: string;
  /** SMART fhirContext entries, e.g. [{ reference: 'ServiceRequest/1' }]. */
  readonly fhirContext?: ReadonlyArray<{ reference?: string; canonical?: string; type?: string; role?: string }>;
  /** Who created the launch (EHR user), for the record. */
  readonly createdBy?: string;
  /** auth_users.id of the EHR user: when set, only this user can complete the launch. */
  readonly userId?: string;
}

export interface GrantContext {
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirUser?: string;
  readonly fhirContext?: LaunchContext['fhirContext'];
  readonly needPatientBanner: boolean;
  /** Every scope granted (OIDC + launch + resource), space-separated, as reported in the token response. */
  readonly scope: string;
}

export const LAUNCH_TTL_SECONDS = 10 * 60;

export interface ContextStore {
  createLaunch(ctx: LaunchContext, ttlSeconds?: number): Promise<string>;
  findLaunch(id: string): Promise<LaunchContext | undefined>;
  saveGrantContext(grantId: string, ctx: GrantContext, ttlSeconds: number): Promise<void>;
  findGrantContext(grantId: string): Promise<GrantContext | undefined>;
  revokeJti(jti: string, untilEpochSeconds: number): Promise<void>;
  /**
   * One round trip: is the jti revoked, and does the grant (if any) still exist? With `maxStalenessMs`, a token
   * without a grant that Redis found unrevoked at most that long ago is answered from memory (see below).
   */
  tokenStillValid(jti: string, grantId: string | undefined, maxStalenessMs?: number): Promise<boolean>;
}

/**
 * How stale the FHIR endpoint's revocation check may be, for tokens without a grant (backend services'
 * client_credentials tokens, whose only revocation is /auth/revoke of the access token itself): a token Redis found
 * unrevoked within the last second is not asked about again. A revocation through this node takes effect at once
 * (the node remembers what it revoked); one through another node within this bound. Tokens with a grant (users'
 * apps) are asked every time: their grant ends inside oidc-provider (refresh token reuse, code replay, logout).
 * Introspection always asks. The saving: a Redis round trip per request (~10 % of an authorised read's server CPU).
 */
export const REVOCATION_CHECK_STALENESS_MS = 1_000;
const CHECKED_CACHE_SIZE = 10_000;

export function contextStore(redis: Redis, prefix: string): ContextStore {
  const k = (kind: string, id: string) => `${prefix}${kind}:${id}`;
  const safeId = (id: string) => /^[A-Za-z0-9_-]{1,128}$/.test(id);
  /** jti → when Redis last answered that this grant-less token is not revoked. */
  const checkedUnrevoked = new Map<string, number>();
  /** jti → until when: revoked through this node (so a check racing the revocation cannot re-cache it as valid). */
  const revokedHere = new Map<string, number>();
  return {
    async createLaunch(ctx, ttlSeconds = LAUNCH_TTL_SECONDS) {
      const id = randomBytes(18).toString('base64url');
      await redis.set(k('launch', id), JSON.stringify(ctx), 'EX', ttlSeconds);
      return id;
    },
    async findLaunch(id) {
      if (!safeId(id)) return undefined;
      const v = await redis.get(k('launch', id));
      return v ? (JSON.parse(v) as LaunchContext) : undefined;
    },
    async saveGrantContext(grantId, ctx, ttlSeconds) {
      await redis.set(k('ctx', grantId), JSON.stringify(ctx), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    },
    async findGrantContext(grantId) {
      if (!safeId(grantId)) return undefined;
      const v = await redis.get(k('ctx', grantId));
      return v ? (JSON.parse(v) as GrantContext) : undefined;
    },
    async revokeJti(jti, until) {
      const ttl = Math.max(1, until - Math.floor(Date.now() / 1000) + 60);
      await redis.set(k('revoked', jti), '1', 'EX', ttl);
      const now = Date.now();
      for (const [j, u] of revokedHere) if (u <= now) revokedHere.delete(j);
      revokedHere.set(jti, now + ttl * 1000);
      checkedUnrevoked.delete(jti);
    },
    async tokenStillValid(jti, grantId, maxStalenessMs = 0) {
      if (!grantId) {
        if (revokedHere.has(jti)) return false;
        const started = Date.now();
        const checkedAt = checkedUnrevoked.get(jti);
        if (checkedAt !== undefined && started - checkedAt <= maxStalenessMs) return true;
        // one command when there is no grant (backend services' client_credentials tokens): no MULTI…EXEC around it
        const valid = Number(await redis.exists(k('revoked', jti))) === 0 && !revokedHere.has(jti);
        if (valid && maxStalenessMs > 0) {
          if (checkedUnrevoked.size >= CHECKED_CACHE_SIZE) checkedUnrevoked.clear();
          checkedUnrevoked.set(jti, started);
        }
        return valid;
      }
      const multi = redis.multi().exists(k('revoked', jti));
      if (grantId) multi.exists(grantModelKey(prefix, grantId));
      const res = (await multi.exec()) ?? [];
      const revoked = Number(res[0]?.[1] ?? 1) === 1;
      const grantAlive = grantId ? Number(res[1]?.[1] ?? 0) === 1 : true;
      return !revoked && grantAlive;
    },
  };
}
