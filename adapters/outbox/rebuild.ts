/**
 * Rebuilding a projection from the FHIR store, inside the caller's transaction (the cursor row is locked), touching
 * only the rows the projection owns (source = 'fhir'); the services' own rows are never read, changed or removed:
 * 1. the projection's dead letters and applied versions are cleared;
 * 2. its rows are marked (source = 'fhir_rebuilding'); leaf rows nothing refers to (device readings) are removed;
 * 3. the newest version of every resource is delivered in creation order (a deleted resource: its last live version,
 *    then the delete), rows upserted in place (so rows the services point at — adjustments, reminders, locally
 *    entered prescriptions — keep their parent), forward references retried until no progress;
 * 4. marked rows no resource wrote again are swept (soft-deleted where the table has deleted_at), derived columns
 *    recomputed, and the cursor set to the store's last change.
 */
import type { ChangeRecord, ResourceStore } from '../../server/store/resource-store.js';
import { inSavepoint, refKey, type ChangeRef } from './deliver.js';
import type { Projection } from './projection.js';
import { OWNED, REBUILDING } from './row-writer.js';
import { isTransient, type SqlTx } from './sql-client.js';

export type RebuildResult = { resources: number; deadLetters: number; cursor: number; swept: number };

export type RebuildContext = {
  store: ResourceStore;
  projection: Projection;
  /** Delivers changes in order, forcing rows in place (no version guard); returns how many were applied. */
  deliver(changes: ChangeRef[]): Promise<number>;
  /** Retries every failed dead letter once; returns how many were delivered. */
  retryFailed(): Promise<number>;
  onProgress?: (done: number, total: number) => void;
};

/** The newest change of every accepted resource, in the order the resources were first written. */
async function latestChanges(
  store: ResourceStore,
  projection: Projection,
): Promise<{ todo: ChangeRef[]; cursor: number }> {
  const latest = new Map<string, { first: number; change: ChangeRecord }>();
  let cursor = 0;
  for (;;) {
    const page = await store.changesAfter(cursor, 5000);
    if (page.length === 0) break;
    for (const c of page) {
      if (!projection.accepts(c.resourceType)) continue;
      const key = refKey(c);
      latest.set(key, { first: latest.get(key)?.first ?? c.seq, change: c });
    }
    cursor = page[page.length - 1]!.seq;
  }
  const todo = [...latest.values()]
    .sort((a, b) => a.first - b.first)
    .flatMap(({ change: c }) =>
      c.deleted ? (c.versionId > 1 ? [{ ...c, versionId: c.versionId - 1, deleted: false }, c] : []) : [c],
    );
  return { todo, cursor };
}

async function mark(tx: SqlTx, projection: Projection): Promise<void> {
  const { versioned, children, leaves } = projection.rebuild;
  for (const table of leaves) await tx.query(`DELETE FROM ${table} WHERE source = ?`, [OWNED]);
  for (const { table } of versioned)
    await tx.query(`UPDATE ${table} SET source = ? WHERE source = ? AND fhir_version IS NOT NULL`, [REBUILDING, OWNED]);
  for (const table of children) await tx.query(`UPDATE ${table} SET source = ? WHERE source = ?`, [REBUILDING, OWNED]);
}

/** Rows still marked were not produced by any resource: children first, then their parents. */
async function sweep(tx: SqlTx, projection: Projection): Promise<number> {
  const { versioned, children } = projection.rebuild;
  let swept = 0;
  const count = async (table: string) =>
    Number(
      (await tx.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE source = ?`, [REBUILDING]))[0]
        ?.n ?? 0,
    );
  for (const table of children) {
    swept += await count(table);
    await tx.query(`DELETE FROM ${table} WHERE source = ?`, [REBUILDING]);
  }
  for (const { table, soft } of versioned) {
    const n = await count(table);
    if (n === 0) continue;
    if (soft) {
      await tx.query(
        `UPDATE ${table} SET deleted_at = COALESCE(deleted_at, CURRENT_TIMESTAMP), source = ? WHERE source = ?`,
        [OWNED, REBUILDING],
      );
      swept += n;
      continue;
    }
    try {
      await inSavepoint(tx, 'sweep', () => tx.query(`DELETE FROM ${table} WHERE source = ?`, [REBUILDING]));
      swept += n;
    } catch (e) {
      if (isTransient(e)) throw e;
      // A service row still points at one of them (foreign key): they stay, as the projection's rows.
      await tx.query(`UPDATE ${table} SET source = ? WHERE source = ?`, [OWNED, REBUILDING]);
    }
  }
  return swept;
}

export async function rebuildProjection(tx: SqlTx, o: RebuildContext): Promise<RebuildResult> {
  const { projection } = o;
  await tx.query('DELETE FROM projection_dead_letters WHERE projection = ?', [projection.name]);
  await tx.query('DELETE FROM projection_versions WHERE projection = ?', [projection.name]);
  await mark(tx, projection);
  const { todo, cursor } = await latestChanges(o.store, projection);
  let delivered = 0;
  for (let i = 0; i < todo.length; i += 200) {
    delivered += await o.deliver(todo.slice(i, i + 200));
    o.onProgress?.(Math.min(i + 200, todo.length), todo.length);
  }
  // Forward references (a resource written before one it points to): retry the failures until no progress.
  for (let progress = 1; progress > 0;) {
    progress = await o.retryFailed();
    delivered += progress;
  }
  const swept = await sweep(tx, projection);
  await projection.afterRebuild?.(tx);
  const left = await tx.query<{ n: number | string }>(
    "SELECT COUNT(*) AS n FROM projection_dead_letters WHERE projection = ? AND state = 'failed'",
    [projection.name],
  );
  await tx.query('UPDATE projection_state SET cursor_seq = ?, delivered = ? WHERE projection = ?', [
    cursor,
    delivered,
    projection.name,
  ]);
  return { resources: todo.length, deadLetters: Number(left[0]?.n ?? 0), cursor, swept };
}
