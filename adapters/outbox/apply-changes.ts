/**
 * Applying prepared changes in order inside the caller's transaction: a version not newer than the one applied is
 * skipped (a replay changes nothing), each change goes in a savepoint, a failure becomes (or updates) the dead
 * letter of its resource, a success after a failure supersedes (newer version) or clears (same version) it; the
 * batch's high-rate rows are flushed together and the applied versions recorded; letters waiting for a resource the
 * batch applied are made due.
 */
import { errorText, inSavepoint, refKey, type ChangeRef, type Prepared } from './deliver.js';
import { clearDeadLetter, listDeadLetters, recordVersions, supersede } from './projection-state.js';
import { applyRows, BulkRows } from './row-writer.js';
import { isTransient, type SqlTx } from './sql-client.js';

/** How dead letters are treated: a batch skips what a letter already records; a retry delivers it. */
export type ApplyMode = {
  letters: Map<string, { failedVersion: number; error?: string }>;
  retrying?: boolean;
  /** Flush high-rate rows once per batch (false: after each change, to isolate a failing one). */
  batched: boolean;
  /** Rebuilds: rows written in place whatever version they have. */
  force?: boolean;
};

/** A multi-row write of the batch failed: the dispatcher runs the batch again change by change. */
export class BatchFlushError extends Error {
  constructor(readonly failure: unknown) {
    super(errorText(failure));
    this.name = 'BatchFlushError';
  }
}

export const utcNow = () => new Date().toISOString().slice(0, 23);

async function flush(tx: SqlTx, bulk: BulkRows): Promise<void> {
  try {
    await bulk.flush(tx);
  } catch (e) {
    throw isTransient(e) ? e : new BatchFlushError(e);
  }
}

/** Returns how many changes were delivered (applied, or mapping to no rows). */
export async function applyPrepared(
  tx: SqlTx,
  prepared: Prepared[],
  applied: Map<string, number>,
  mode: ApplyMode & { projection: string; fail: (change: ChangeRef, error: unknown) => Promise<void> },
): Promise<number> {
  const bulk = new BulkRows();
  const recorded: Array<{ resourceType: string; id: string; version: number }> = [];
  let delivered = 0;
  for (const p of prepared) {
    const { change } = p;
    const key = refKey(change);
    if ((applied.get(key) ?? 0) >= change.versionId) continue; // replayed: already in effect
    const letter = mode.letters.get(key);
    if (letter && !mode.retrying && change.versionId <= letter.failedVersion) continue; // recorded as failed
    try {
      if ('error' in p) throw p.error;
      if (p.writes.length > 0) {
        await inSavepoint(tx, 'delivery', async () => {
          await applyRows(tx, p.writes, bulk, mode.force);
          if (!mode.batched) await bulk.flush(tx);
        });
        recorded.push({ resourceType: change.resourceType, id: change.id, version: change.versionId });
        applied.set(key, change.versionId);
      }
      if (letter) {
        if (change.versionId > letter.failedVersion)
          await supersede(tx, mode.projection, change, change.versionId, utcNow());
        else await clearDeadLetter(tx, mode.projection, change);
        mode.letters.delete(key);
      }
      delivered++;
    } catch (e) {
      if (isTransient(e)) throw e;
      await mode.fail(change, e);
      mode.letters.set(key, { failedVersion: change.versionId, error: errorText(e) });
    }
    if (bulk.size >= 2000) await flush(tx, bulk);
  }
  await flush(tx, bulk);
  await recordVersions(tx, mode.projection, recorded);
  await wakeWaiting(tx, mode, new Set(recorded.map(refKey)));
  return delivered;
}

/**
 * The resource a failed delivery waits for: the one its mapping looked up and did not find
 * (`PaymentReconciliation/p: Invoice/x is not in the billing database (yet)`), as `Type/id`.
 */
export function awaitedResource(error: string): string | undefined {
  return /: ([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}) is not (?:in|a [a-z ]+ in) the [a-z]+ database \(yet\)/.exec(
    error,
  )?.[1];
}

/**
 * A dead letter waiting for a resource that was just applied is due now (the next retry pass delivers it), even
 * when its automatic retries ran out: a payment that came before its invoice lands once the invoice does, however
 * late, without anyone pressing retry. It counts as one more attempt; failing again, it waits as before.
 */
async function wakeWaiting(tx: SqlTx, mode: ApplyMode & { projection: string }, applied: Set<string>): Promise<void> {
  if (applied.size === 0) return;
  // A batch knows every failed letter; a retry only its own (a retried Invoice must wake the payment behind it).
  const letters = mode.retrying
    ? new Map((await listDeadLetters(tx, mode.projection)).map((d) => [`${d.resourceType}/${d.resourceId}`, d]))
    : mode.letters;
  for (const [key, letter] of letters) {
    const awaited = letter.error ? awaitedResource(letter.error) : undefined;
    if (!awaited || !applied.has(awaited)) continue;
    const slash = key.indexOf('/');
    await tx.query(
      "UPDATE projection_dead_letters SET next_attempt_at = ? WHERE projection = ? AND resource_type = ? AND resource_id = ? AND state = 'failed'",
      [utcNow(), mode.projection, key.slice(0, slash), key.slice(slash + 1)],
    );
  }
}
