/**
 * Client secrets and registration access tokens at rest: `sha256:<hex>`. They are 256-bit random values made by
 * this server, so a slow password hash adds nothing; comparison is constant-time. A secret stored in the clear by
 * an older version (no prefix) still compares, until the client is registered again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';

export function hashSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(stored: unknown, presented: unknown): boolean {
  if (typeof stored !== 'string' || typeof presented !== 'string' || presented.length === 0) return false;
  const expected = Buffer.from(stored.startsWith(PREFIX) ? stored : hashSecret(stored), 'utf8');
  const actual = Buffer.from(hashSecret(presented), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
