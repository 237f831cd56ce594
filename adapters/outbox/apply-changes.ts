/**
 * Applying prepared changes in order inside the caller's transaction: a version not newer than the one applied is
 * skipped (a replay changes nothing), each change goes in a savepoint, a failure becomes (or updates) the dead
 * letter of its resource, a success after a failure supersedes (newer version) or clears (same version) it; the
 * batch's high-rate rows are flushed together and the applied versions recorded.
 */
import { errorText, inSavepoint, refKey, type ChangeRef, type Prepared } from './deliver.js';
import { clearDeadLetter, recordVersions, supersede } from './projection-state.js';
import { applyRows, BulkRows } from './row-writer.js';
import { isTransient, type SqlTx } from './sql-client.js';

/** How dead letters are treated: a batch skips what a letter already records; a retry delivers it. */
export type ApplyMode = {
  letters: Map<string, { failedVersion: number }>;
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
      mode.letters.set(key, { failedVersion: change.versionId });
    }
    if (bulk.size >= 2000) await flush(tx, bulk);
  }
  await flush(tx, bulk);
  await recordVersions(tx, mode.projection, recorded);
  return delivered;
}
