/**
 * oidc-provider persistence adapter on Redis (sessions, interactions, codes, grants, tokens, clients), so any
 * API node can continue a flow another node started. Refresh tokens are also mirrored into
 * nilecare_auth.auth_refresh_tokens, which is authoritative for revocation: a refresh token whose row is
 * missing or has is_revoked = 1 (and that was not consumed by a rotation) is not found.
 *
 * - Tokens are not kept at rest: the Redis key of a token (code, refresh token, registration access token …) is
 *   the SHA-256 of its value, and the value is left out of the stored payload (a dump of Redis hands out no live
 *   token). Sessions are keyed by their id as oidc-provider needs, but the session cookie is signed with the keys
 *   of AUTH_KEYS_DIR, which Redis does not hold.
 * - Consumption is atomic (HSETNX): of several concurrent uses of one refresh token or code exactly one wins; a
 *   consumed refresh token stays findable as consumed, so oidc-provider's reuse detection revokes the whole grant
 *   when it comes back, and a loser of the race revokes it here (a concurrent second use is indistinguishable
 *   from a stolen token being replayed: OAuth 2.0 Security BCP 4.14.2).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { RefreshTokenRows } from './refresh-token-rows.js';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
/** Models whose id is a bearer secret: keyed by its hash, value not stored. */
const HASHED = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface RedisAdapterOptions {
  redis: Redis;
  /** Key prefix, e.g. `nilecare:auth:`. */
  prefix: string;
  refreshTokens: RefreshTokenRows;
}

export function redisAdapterFactory(opts: RedisAdapterOptions): (name: string) => Adapter {
  return (name: string) => new RedisAdapter(name, opts);
}

export function grantModelKey(prefix: string, grantId: string): string {
  return `${prefix}Grant:${grantId}`;
}

class RedisAdapter implements Adapter {
  constructor(
    private readonly name: string,
    private readonly o: RedisAdapterOptions,
  ) {}

  private key(id: string): string {
    return `${this.o.prefix}${this.name}:${HASHED.has(this.name) ? sha256(id) : id}`;
  }
  private grantListKey(grantId: string): string {
    return `${this.o.prefix}grant:${grantId}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { redis } = this.o;
    const key = this.key(id);
    const multi = redis.multi();
    const stored = HASHED.has(this.name) ? { ...payload, jti: undefined } : payload;
    if (CONSUMABLE.has(this.name)) multi.hset(key, { payload: JSON.stringify(stored) });
    else multi.set(key, JSON.stringify(stored));
    if (expiresIn) multi.expire(key, expiresIn);
    if (GRANTABLE.has(this.name) && payload.grantId) {
      const gk = this.grantListKey(payload.grantId);
      multi.rpush(gk, key);
      const ttl = await redis.ttl(gk);
      if (expiresIn && expiresIn > ttl) multi.expire(gk, expiresIn);
    }
    if (payload.userCode) {
      multi.set(`${this.o.prefix}userCode:${payload.userCode}`, id);
      if (expiresIn) multi.expire(`${this.o.prefix}userCode:${payload.userCode}`, expiresIn);
    }
    if (payload.uid) {
      multi.set(`${this.o.prefix}uid:${payload.uid}`, id);
      if (expiresIn) multi.expire(`${this.o.prefix}uid:${payload.uid}`, expiresIn);
    }
    if (this.name === 'RefreshToken') {
      await this.o.refreshTokens.insert({
        token: id,
        userId: payload.accountId,
        expiresAt: new Date(Date.now() + (expiresIn || 0) * 1000),
      });
    }
    await multi.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const { redis } = this.o;
    const key = this.key(id);
    let payload: AdapterPayload;
    if (CONSUMABLE.has(this.name)) {
      const data = await redis.hgetall(key);
      if (!data || !data.payload) return undefined;
      const { payload: json, consumed } = data;
      payload = {
        ...(JSON.parse(json) as Record<string, unknown>),
        ...(consumed ? { consumed: Number(consumed) } : {}),
      };
    } else {
      const data = await redis.get(key);
      if (!data) return undefined;
      payload = JSON.parse(data) as AdapterPayload;
    }
    if (HASHED.has(this.name)) payload = { ...payload, jti: id };
    // A consumed refresh token is answered as such (reuse detection); an unconsumed one needs its live row.
    if (this.name === 'RefreshToken' && !payload.consumed && !(await this.o.refreshTokens.isActive(id)))
      return undefined;
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.o.redis.get(`${this.o.prefix}uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.o.redis.get(`${this.o.prefix}userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const key = this.key(id);
    // HSETNX alone would recreate a key that a loser of the race has just deleted with the grant (a third
    // concurrent use then "won": 2 of 4 refreshes answered 200 in a CI run): a token that is gone cannot be consumed.
    // EXISTS and HSETNX in one MULTI (atomic on Redis; one transaction with the row locked on the embedded store).
    const results = await this.o.redis
      .multi()
      .exists(key)
      .hsetnx(key, 'consumed', Math.floor(Date.now() / 1000))
      .exec();
    const existed = Number(results?.[0]?.[1]) === 1;
    const won = existed ? Number(results?.[1]?.[1]) : -1;
    if (!existed) await this.o.redis.del(key); // the stray hash HSETNX made (no payload: never found)
    if (this.name === 'RefreshToken') await this.o.refreshTokens.revoke(id);
    if (won === 1) return;
    if (won === -1)
      throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} revoked`);
    // Lost a race for the same token: treat as reuse.
    const json = await this.o.redis.hget(key, 'payload');
    const grantId = json ? (JSON.parse(json) as AdapterPayload).grantId : undefined;
    if (grantId) await this.revokeByGrantId(grantId);
    throw new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.o.redis.del(this.key(id));
    if (this.name === 'RefreshToken') await this.o.refreshTokens.revoke(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const { redis, prefix } = this.o;
    const gk = this.grantListKey(grantId);
    const keys = await redis.lrange(gk, 0, -1);
    const multi = redis.multi();
    for (const k of keys) multi.del(k);
    multi.del(gk);
    multi.del(grantModelKey(prefix, grantId));
    await multi.exec();
    const rt = `${prefix}RefreshToken:`;
    // Refresh-token keys end with the token's SHA-256, which is also what auth_refresh_tokens keeps.
    for (const k of keys) if (k.startsWith(rt)) await this.o.refreshTokens.revokeByHash(k.slice(rt.length));
  }
}
