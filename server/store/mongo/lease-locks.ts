/**
 * Cross-process locks for ResourceStore.withLocks on MongoDB: one lease document per key in `fhir_locks`
 * (_id = a hash of the key). Taking a lock is inserting its document — the unique _id lets exactly one inserter win,
 * on a replica set as on one node; the others wait (short growing pauses) until it is deleted, or take it over once
 * its lease expired (a holder that died). A holder renews its lease while it works.
 *
 * A lease can still expire under a holder that stalled (a long GC or network pause). So the lock is also a fence:
 * every write made under it increments the lease document's `fence` inside the write's own transaction, matched on
 * the holder's token. A holder whose lease was taken over matches nothing and writes nothing (LockLostError); and
 * if the take-over happens after the transaction's snapshot, the transaction's write to the same document is a
 * write conflict and the transaction is retried, then refused the same way. The match-then-write of two holders of
 * one key is therefore never interleaved in what commits.
 *
 * Leases compare times of the application's clock: the servers running this code must keep their clocks within a
 * few seconds of each other (NTP), far below LEASE_MS.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockLostError, LockTimeoutError } from '../resource-store.js';
import { LOCKS_COLLECTION } from './collection-names.js';
import { DuplicateKeyError, type DocDatabase } from './doc-db.js';

export const LEASE_MS = 15_000;
const RENEW_EVERY_MS = 5_000;
const MAX_PAUSE_MS = 50;

export type Leases = {
  /** Increments each lease's fence inside `tx` (a write transaction): LockLostError when one is no longer ours. */
  fence(tx: DocDatabase): Promise<void>;
  release(): Promise<void>;
};

/** Takes a lease on every key (sorted), waiting up to waitMs for each; LockTimeoutError past it. */
export async function acquireLeases(db: DocDatabase, keys: readonly string[], waitMs: number): Promise<Leases> {
  const owner = randomUUID();
  const ids = [...new Set(keys)].sort().map((key) => ({ key, id: leaseId(key) }));
  const held: typeof ids = [];
  const locks = db.collection(LOCKS_COLLECTION);
  const releaseHeld = async () => {
    if (held.length > 0) await locks.deleteMany({ _id: { $in: held.map((h) => h.id) }, owner });
  };
  try {
    for (const lease of ids) {
      await takeLease(db, lease, owner, waitMs);
      held.push(lease);
    }
  } catch (error) {
    await releaseHeld().catch(() => undefined);
    throw error;
  }
  const renewal = setInterval(() => {
    const expiresAt = Date.now() + LEASE_MS;
    for (const { id } of held) void locks.updateOne({ _id: id, owner }, { $set: { expiresAt } }).catch(() => undefined);
  }, RENEW_EVERY_MS);
  renewal.unref();
  return {
    async fence(tx) {
      for (const { key, id } of held) {
        const { matched } = await tx.collection(LOCKS_COLLECTION).updateOne({ _id: id, owner }, { $inc: { fence: 1 } });
        if (matched === 0) throw new LockLostError(key);
      }
    },
    async release() {
      clearInterval(renewal);
      await releaseHeld();
    },
  };
}

async function takeLease(db: DocDatabase, lease: { key: string; id: string }, owner: string, waitMs: number) {
  const locks = db.collection(LOCKS_COLLECTION);
  const deadline = Date.now() + waitMs;
  let pause = 1;
  for (;;) {
    const now = Date.now();
    try {
      await locks.insertOne({
        _id: lease.id,
        owner,
        expiresAt: now + LEASE_MS,
        fence: 0,
        key: lease.key.slice(0, 200),
      });
      return;
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
    // a holder that died leaves its document: taken over once its lease expired
    const { matched } = await locks.updateOne(
      { _id: lease.id, expiresAt: { $lt: now } },
      { $set: { owner, expiresAt: now + LEASE_MS } },
    );
    if (matched > 0) return;
    if (now >= deadline) throw new LockTimeoutError(waitMs);
    await sleep(pause);
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function leaseId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}
