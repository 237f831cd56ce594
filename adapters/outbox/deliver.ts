/**
 * Delivering one change to one projection: read that version from the FHIR store (vread), map it (pure),
 * apply the rows. Used by the dispatcher, the dead-letter retries and the rebuild.
 */
import type { ChangeRecord, ResourceStore, StoredVersion } from '../../server/store/resource-store.js';
import type { Projection } from './projection.js';
import { applyRows, type ApplyResult, type BulkRows } from './row-writer.js';
import { MappingError, type RowWrite } from './rows.js';
import type { SqlTx } from './sql-client.js';

export type ChangeRef = Pick<ChangeRecord, 'resourceType' | 'id' | 'versionId' | 'deleted'>;

/**
 * Reads the version (and, for a delete or a projection that `readsPrevious`, the one before) and maps it: no database
 * writes yet. Throws MappingError. `rebuilding`: the target tables were cleared, so no previous version's rows remain.
 */
export async function rowsForChange(
  store: ResourceStore,
  projection: Projection,
  change: ChangeRef,
  prefetched?: StoredVersion,
  rebuilding = false,
): Promise<RowWrite[]> {
  const stored =
    prefetched?.versionId === change.versionId
      ? prefetched
      : await store.vread(change.resourceType, change.id, change.versionId);
  if (!stored)
    throw new MappingError(`${change.resourceType}/${change.id} version ${change.versionId} is not in the FHIR store`);
  if (stored.deleted || !stored.resource) {
    const previous =
      change.versionId > 1 ? await store.vread(change.resourceType, change.id, change.versionId - 1) : undefined;
    return projection.mapDelete(change.resourceType, change.id, change.versionId, previous?.resource ?? undefined);
  }
  if (projection.readsPrevious && change.versionId > 1 && !rebuilding) {
    const previous = await store.vread(change.resourceType, change.id, change.versionId - 1);
    return projection.map(stored.resource, change.versionId, previous?.resource ?? undefined);
  }
  return projection.map(stored.resource, change.versionId);
}

export async function deliverChange(
  tx: SqlTx,
  store: ResourceStore,
  projection: Projection,
  change: ChangeRef,
  bulk: BulkRows,
): Promise<ApplyResult> {
  const writes = await rowsForChange(store, projection, change);
  if (writes.length === 0) return 'applied';
  return applyRows(tx, writes, bulk);
}

/** Runs `fn` inside a savepoint: a failure undoes only its own writes and is rethrown (the savepoint is not released: one round trip less; the commit ends it). */
export async function inSavepoint<T>(tx: SqlTx, name: string, fn: () => Promise<T>): Promise<T> {
  await tx.query(`SAVEPOINT ${name}`);
  try {
    return await fn();
  } catch (e) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw e;
  }
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; sqlMessage?: string };
  return `${err?.name ?? 'Error'}${err?.code ? ` [${err.code}]` : ''}: ${err?.sqlMessage ?? err?.message ?? String(e)}`.slice(
    0,
    2000,
  );
}
