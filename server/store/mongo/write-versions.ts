/**
 * write(): one transaction per batch. Per version: compare-and-set on the current document (insert for
 * version 1, update guarded by versionId = N-1 otherwise), insert into history (unique on type, id,
 * version), then the change records, pending (change-log.ts numbers them once committed: no document is written by
 * every write). Any failure aborts everything.
 */
import { VersionConflictError, type VersionWrite } from '../resource-store.js';
import { CHANGES_COLLECTION, collectionNameFor, HISTORY_COLLECTION } from './collection-names.js';
import { pendingChangeDocs } from './change-log.js';
import { DuplicateKeyError, type DocDatabase, type DocDatabaseHandle } from './doc-db.js';
import { currentDocOf, historyDocOf } from './documents.js';

const conflictOf = (w: VersionWrite) => new VersionConflictError(w.resourceType, w.id, w.versionId);

async function orConflict<T>(w: VersionWrite, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw conflictOf(w);
    throw error;
  }
}

async function writeOne(tx: DocDatabase, w: VersionWrite): Promise<void> {
  const current = tx.collection(collectionNameFor(w.resourceType));
  const doc = currentDocOf(w);
  if (w.versionId === 1) {
    await orConflict(w, () => current.insertOne(doc));
  } else {
    const { _id, ...fields } = doc;
    const { matched } = await current.updateOne({ _id, versionId: w.versionId - 1 }, { $set: fields });
    if (matched === 0) throw conflictOf(w);
  }
  await orConflict(w, () => tx.collection(HISTORY_COLLECTION).insertOne(historyDocOf(w)));
}

/** `fence`: the write is made under ResourceStore.withLocks; it checks the locks inside the transaction. */
export async function writeVersions(
  db: DocDatabaseHandle,
  writes: VersionWrite[],
  fence?: (tx: DocDatabase) => Promise<void>,
): Promise<void> {
  if (writes.length === 0) return;
  await db.withTransaction(async (tx) => {
    if (fence) await fence(tx);
    for (const w of writes) await writeOne(tx, w);
    await tx.collection(CHANGES_COLLECTION).insertMany(pendingChangeDocs(writes));
  });
}
