/**
 * PostgreSQL advisory locks for ResourceStore.withLocks on a PostgreSQL server: each key becomes a 64-bit lock id
 * (a hash: two keys that collide only wait for each other, never break anything), taken with
 * pg_advisory_xact_lock in a transaction of its own on a connection of a small pool kept for locks.
 *
 * Why a connection of its own, and not the write's transaction: the match (a search) and the write then run
 * exactly as they do without a lock, and the lock is released (COMMIT) only after the write committed, so the next
 * holder's match — a new statement under READ COMMITTED — sees it. A waiter holds one lock connection and nothing
 * else, and a holder never waits for a lock connection while holding a pool connection, so a burst of conditional
 * requests cannot exhaust the main pool into a deadlock. A process that dies drops its connections and with them its
 * locks. lock_timeout bounds a wait (LockTimeoutError → 503).
 */
import { createHash } from 'node:crypto';

/** SQLSTATE lock_not_available (lock_timeout reached). */
export const LOCK_NOT_AVAILABLE = '55P03';

/** The signed 64-bit advisory lock id of a key, as decimal text. */
export function advisoryLockId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest().readBigInt64BE(0).toString();
}

/** The lock ids of the keys, once each, in ascending order (every process takes them in this order). */
export function advisoryLockIds(keys: readonly string[]): string[] {
  const ids = [...new Set(keys.map(advisoryLockId))];
  return ids.sort((a, b) => {
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
}

/**
 * One simple-protocol text: the transaction, its lock wait limit and one lock per statement, in order. The ids are
 * integers made here (checked), never text from a request.
 */
export function lockStatements(ids: readonly string[], waitMs: number): string {
  for (const id of ids) if (!/^-?\d{1,20}$/.test(id)) throw new Error(`not an advisory lock id: ${id}`);
  const wait = Math.max(1, Math.floor(waitMs));
  return ['BEGIN', `SET LOCAL lock_timeout = ${wait}`, ...ids.map((id) => `SELECT pg_advisory_xact_lock(${id})`)].join(
    '; ',
  );
}
