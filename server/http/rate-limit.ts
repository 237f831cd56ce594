/**
 * Per-client rate limiting shared by every API node through Redis: a fixed one-minute window per client
 * (the access token's subject when authorisation is on, else the remote address). Over the limit: 429 with
 * an OperationOutcome and Retry-After. If Redis is unreachable the request is let through and a warning
 * logged (a hospital keeps working when its cache fails).
 */
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { operationOutcome, issue } from '../fhir/errors.js';

export type RateLimitOptions = { redis: Redis; perMinute: number; logger: Logger; prefix?: string };

export function clientKey(req: Request): string {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7);
    const payload = token.split('.')[1];
    if (payload) {
      try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
          client_id?: string;
          sub?: string;
        };
        if (claims.client_id || claims.sub) return `client:${claims.client_id ?? ''}:${claims.sub ?? ''}`;
      } catch {
        // not a JWT: fall through to the address
      }
    }
  }
  return `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

export function rateLimit(options: RateLimitOptions): RequestHandler {
  const prefix = options.prefix ?? 'nilecare:ratelimit:';
  let warned = false;
  return async (req: Request, res: Response, next: NextFunction) => {
    const window = Math.floor(Date.now() / 60_000);
    const key = `${prefix}${clientKey(req)}:${window}`;
    try {
      const [[, count]] = (await options.redis.multi().incr(key).expire(key, 120).exec()) as [[Error | null, number]];
      res.setHeader('RateLimit-Limit', String(options.perMinute));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, options.perMinute - count)));
      if (count > options.perMinute) {
        const retryAfter = 60 - Math.floor((Date.now() / 1000) % 60);
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
