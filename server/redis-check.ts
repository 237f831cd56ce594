/**
 * Redis is needed for SMART sign-in (sessions, clients, tokens) and rate limits. Without this check an unreachable
 * Redis gave a server that never became ready and said nothing useful (issue 26): at start it is one message naming
 * REDIS_URL and the address; afterwards /readyz reports it.
 */
import { Redis } from 'ioredis';

const redact = (url: string) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
};

/** Throws `REDIS_URL: cannot reach Redis at …` when Redis does not answer a PING within `timeoutMs`. */
export async function requireRedis(url: string, purpose: string, timeoutMs = 3000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(
      `REDIS_URL: cannot reach Redis at ${redact(url)} (${(e as Error).message}); ${purpose} need it: start Redis or point REDIS_URL at it`,
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * A PING for /readyz: undefined when Redis answers, else the reason. One connection, reconnecting in the background.
 */
export function redisReadiness(url: string): { check(): Promise<string | undefined>; close(): void } {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 500, 5000),
  });
  redis.on('error', () => undefined);
  return {
    async check() {
      try {
        if (redis.status === 'wait') await redis.connect();
        await redis.ping();
        return undefined;
      } catch (e) {
        return `cannot reach Redis at ${redact(url)} (REDIS_URL): ${(e as Error).message}`;
      }
    },
    close: () => redis.disconnect(),
  };
}
