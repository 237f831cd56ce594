/**
 * Applies the rows of one delivered version inside the caller's transaction: upserts keyed by fhir_id and
 * guarded by fhir_version (a stale or repeated version changes nothing), dimension rows ensured by natural key,
 * children upserted in place, deletes soft or hard, derived columns recomputed. High-rate rows (bulkUpsert) are
 * collected and flushed per batch (bulk-rows.ts). Every row the projection inserts or rewrites is marked
 * source = 'fhir' (projection-owned, row-ownership.ts); rows the services write keep source NULL and are never
 * rewritten or removed here. The writes of each kind: row-ops.ts; their SQL: row-sql.ts.
 */
import { ident, type SqlTx } from './sql-client.js';
import type { Row, RowWrite, SqlValue } from './rows.js';
import { owned } from './row-ownership.js';
import { currentVersion, insert, keyOf, replaceChildren, where } from './row-sql.js';
import { deleteRow, ensureRow, updateRows, upsertRow, type Delivery, type PrimaryWrite } from './row-ops.js';
import type { BulkRows } from './bulk-rows.js';

export { OWNED, REBUILDING } from './row-ownership.js';
export { BulkRows } from './bulk-rows.js';

export type ApplyResult = 'applied' | 'stale';

async function applyOne(c: Delivery, bulk: BulkRows, w: RowWrite): Promise<void> {
  const { tx } = c;
  switch (w.op) {
    case 'upsert':
      return upsertRow(c, w);
    case 'ensure':
    case 'lookup':
      return ensureRow(c, w);
    case 'replaceChildren':
      return replaceChildren(tx, w.table, w.parentColumn, c.resolve(w.parent), w.rows.map(c.resolved));
    case 'delete':
      return deleteRow(c, w);
    case 'append':
      return insert(tx, w.table, owned(w.table, { id: w.id, ...c.resolved(w.values) }), true);
    case 'update':
      return updateRows(c, w);
    case 'bulkUpsert':
      bulk.add(w.table, w.conflict, c.resolved(w.values));
      return;
    case 'derive':
      await bulk.flush(tx);
      return w.run(tx, w.args.map(c.resolve));
    case 'deleteWhere': {
      await bulk.flush(tx, w.table);
      const k = where(tx.dialect, w.where, c.resolve);
      await tx.query(`DELETE FROM ${ident(tx.dialect, w.table)} WHERE ${k.sql}`, k.params);
      return;
    }
    default: {
      const never: never = w;
      throw new Error(`unknown row write ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Applies one delivery's rows. `stale` when the primary row (first upsert/delete) already has this version or a newer
 * one. `force` (rebuilds) writes rows whatever version they have, in place.
 */
export async function applyRows(tx: SqlTx, writes: RowWrite[], bulk: BulkRows, force = false): Promise<ApplyResult> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the narrowing is what the cast says
  const primary = writes.find((w) => w.op === 'upsert' || w.op === 'delete') as PrimaryWrite | undefined;
  let primaryCurrent: number | undefined;
  if (primary) {
    primaryCurrent = await currentVersion(
      tx,
      primary.table,
      primary.op === 'upsert' ? keyOf(primary) : ['fhir_id', primary.fhirId],
    );
    if (!force && primaryCurrent !== undefined && primaryCurrent >= primary.version) return 'stale';
  }
  const refs = new Map<string, unknown>();
  const resolve = (v: SqlValue): unknown => {
    if (v !== null && typeof v === 'object') {
      if (!refs.has(v.ref)) throw new Error(`mapping bug: reference ${v.ref} used before it was resolved`);
      return refs.get(v.ref);
    }
    return typeof v === 'boolean' && tx.dialect === 'mysql' ? (v ? 1 : 0) : v;
  };
  const resolved = (r: Row) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, resolve(v)]));
  const delivery: Delivery = { tx, writes, force, primary, primaryCurrent, refs, resolve, resolved };
  for (const w of writes) await applyOne(delivery, bulk, w);
  return 'applied';
}
