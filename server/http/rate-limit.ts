/**
 * Per-client rate limiting shared by every API node through Redis. The client is the one a verified access token
 * names (client id and subject) when authorisation is on; a request without a valid token counts by its remote
 * address, so a forged token naming another client cannot spend that client's quota. With authorisation off nothing
 * can be verified and the token's claims are read as they are (a development mode: every caller is trusted anyway).
 *
 * The quota is per sliding minute, estimated from two fixed one-minute counters (this minute's, plus last minute's
 * weighted by the part of it still inside the sliding minute): a fixed window alone let a client send twice its quota
 * across a minute's end. Over the limit: 429 with an OperationOutcome and Retry-After. If Redis is unreachable the
 * request is let through and a warning logged (a hospital keeps working when its cache fails).
 */
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { operationOutcome, issue } from '../fhir/errors.js';

export type RateLimitOptions = {
  redis: Redis;
  perMinute: number;
  logger: Logger;
  prefix?: string;
  /**
   * The client a verified token names (the Authorization header in, its client id and subject out), undefined for a
   * missing or invalid token. Without it the token's claims are read unverified (authorisation off).
   */
  identify?: (authorization: string | undefined) => Promise<ClientClaims | undefined>;
  /** The clock, in ms (tests). */
  now?: () => number;
};

export type ClientClaims = { client_id?: string; sub?: string };

const MINUTE_MS = 60_000;

/** A token's client id and subject, unverified: only for when authorisation is off. */
export async function unverifiedClient(authorization: string | undefined): Promise<ClientClaims | undefined> {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const payload = authorization.slice(7).split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ClientClaims;
  } catch {
    return undefined; // not a JWT
  }
}

/** The counter's client: the token's client id and subject, else (no client in it) the remote address. */
function clientKey(claims: ClientClaims | undefined, req: Request): string {
  return claims?.client_id || claims?.sub
    ? `client:${claims.client_id ?? ''}:${claims.sub ?? ''}`
    : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

/** Requests in the sliding minute ending now, from this minute's count and the previous minute's. */
export function slidingCount(current: number, previous: number, msIntoMinute: number): number {
  return current + previous * (1 - msIntoMinute / MINUTE_MS);
}

/** Seconds until the sliding count falls back to the quota (at least 1; the rest of the minute when this minute alone is over it). */
export function secondsUntilAllowed(
  current: number,
  previous: number,
  msIntoMinute: number,
  perMinute: number,
): number {
  const restOfMinute = Math.ceil((MINUTE_MS - msIntoMinute) / 1000);
  if (current >= perMinute || previous <= 0) return Math.max(1, restOfMinute);
  // previous × (1 − t/60 s) + current < perMinute  ⇔  t > 60 s × (1 − (perMinute − current) / previous)
  const allowedAtMs = MINUTE_MS * (1 - (perMinute - current) / previous);
  return Math.max(1, Math.min(restOfMinute, Math.ceil((allowedAtMs - msIntoMinute) / 1000)));
}

export function rateLimit(options: RateLimitOptions): RequestHandler {
  const prefix = options.prefix ?? 'nilecare:ratelimit:';
  const now = options.now ?? Date.now;
  const identify = options.identify ?? unverifiedClient;
  let warned = false;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const client = clientKey(await identify(req.headers.authorization), req);
      const at = now();
      const minute = Math.floor(at / MINUTE_MS);
      const key = `${prefix}${client}:${minute}`;
      const results = (await options.redis
        .multi()
        .incr(key)
        .expire(key, 120)
        .get(`${prefix}${client}:${minute - 1}`)
        .exec()) as [Error | null, unknown][];
      const current = Number(results[0]![1]);
      const previous = Number(results[2]![1] ?? 0);
      const msIntoMinute = at - minute * MINUTE_MS;
      const count = slidingCount(current, previous, msIntoMinute);
      res.setHeader('RateLimit-Limit', String(options.perMinute));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, Math.floor(options.perMinute - count))));
      if (count > options.perMinute) {
        const retryAfter = secondsUntilAllowed(current, previous, msIntoMinute, options.perMinute);
        res
          .status(429)
          .setHeader('Retry-After', String(retryAfter))
          .setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
        res.end(
          JSON.stringify(
            operationOutcome([
              issue(
                'throttled',
                `More than ${options.perMinute} requests in a minute from this client; retry after ${retryAfter} s`,
              ),
            ]),
          ),
        );
        return;
      }
      warned = false;
    } catch (error) {
      if (!warned)
        options.logger.warn({ err: (error as Error).message }, 'rate limiting skipped: Redis is unreachable');
      warned = true;
    }
    next();
  };
}
