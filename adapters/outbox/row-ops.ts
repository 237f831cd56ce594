/**
 * One function per kind of row write that needs more than a line (rows.ts RowWrite): the resource's own rows
 * upserted or deleted under the fhir_version guard, dimension rows ensured or looked up by natural key (their ids
 * kept as references for the later writes of the delivery), rows updated in place.
 */
import { ident, type SqlTx } from './sql-client.js';
import { MappingError, type Row, type RowWrite, type SqlValue } from './rows.js';
import { owned, OWNED } from './row-ownership.js';
import { currentVersion, insert, keyOf, where } from './row-sql.js';

export type PrimaryWrite = Extract<RowWrite, { op: 'upsert' | 'delete' }>;

/** What the writes of one delivery share. */
export interface Delivery {
  tx: SqlTx;
  writes: RowWrite[];
  force: boolean;
  /** The first upsert/delete, and its stored version read before any write (undefined: no row yet). */
  primary: PrimaryWrite | undefined;
  primaryCurrent: number | undefined;
  /** ensure/lookup references → the ids they found or made. */
  refs: Map<string, unknown>;
  resolve: (v: SqlValue) => unknown;
  resolved: (r: Row) => Record<string, unknown>;
}

export async function upsertRow(c: Delivery, w: Extract<RowWrite, { op: 'upsert' }>): Promise<void> {
  const { tx, writes, primary, force } = c;
  const d = tx.dialect;
  // The primary row's version was read before; a row adopted by an earlier 'update' of this delivery is re-read.
  const adopted =
    w === primary &&
    writes.indexOf(w) > 0 &&
    writes.slice(0, writes.indexOf(w)).some((x) => x.op === 'update' && x.table === w.table);
  const key = keyOf(w);
  const current = w === primary && !adopted ? c.primaryCurrent : await currentVersion(tx, w.table, key);
  if (!force && w !== primary && current !== undefined && current >= w.version) return;
  const values = owned(w.table, c.resolved(w.values));
  if (current !== undefined) {
    const cols = Object.keys(values);
    await tx.query(
      `UPDATE ${ident(d, w.table)} SET ${[...cols, 'fhir_version'].map((col) => `${ident(d, col)} = ?`).join(', ')} WHERE ${ident(d, key[0])} = ?${force ? '' : ' AND (fhir_version IS NULL OR fhir_version < ?)'}`,
      [...Object.values(values), w.version, key[1], ...(force ? [] : [w.version])],
    );
  } else {
    await insert(tx, w.table, {
      id: w.id,
      ...(w.fhirId ? { fhir_id: w.fhirId } : {}),
      fhir_version: w.version,
      ...values,
    });
  }
}

/** A dimension row by its natural key, inserted when missing; `lookup` instead fails with the mapping's message. */
export async function ensureRow(c: Delivery, w: Extract<RowWrite, { op: 'ensure' | 'lookup' }>): Promise<void> {
  const d = c.tx.dialect;
  const k = where(d, w.key, c.resolve);
  const found = await c.tx.query<{ id: string }>(`SELECT id FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
  if (found[0]) c.refs.set(w.ref, found[0].id);
  else if (w.op === 'lookup') throw new MappingError(w.missing);
  else {
    await insert(c.tx, w.table, owned(w.table, { id: w.id, ...c.resolved(w.key), ...c.resolved(w.values) }));
    c.refs.set(w.ref, w.id);
  }
}

export async function deleteRow(c: Delivery, w: Extract<RowWrite, { op: 'delete' }>): Promise<void> {
  const { tx } = c;
  const d = tx.dialect;
  const current = w === c.primary ? 0 : await currentVersion(tx, w.table, ['fhir_id', w.fhirId]);
  if (current === undefined || (!c.force && current >= w.version)) return;
  if (w.soft)
    await tx.query(
      `UPDATE ${ident(d, w.table)} SET deleted_at = COALESCE(deleted_at, CURRENT_TIMESTAMP), fhir_version = ?, source = ? WHERE fhir_id = ?`,
      [w.version, OWNED, w.fhirId],
    );
  else await tx.query(`DELETE FROM ${ident(d, w.table)} WHERE fhir_id = ?`, [w.fhirId]);
}

export async function updateRows(c: Delivery, w: Extract<RowWrite, { op: 'update' }>): Promise<void> {
  const d = c.tx.dialect;
  const k = where(d, w.where, c.resolve);
  if (w.missing) {
    const found = await c.tx.query(`SELECT 1 AS x FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
    if (found.length === 0) throw new MappingError(w.missing);
  }
  const values = c.resolved(w.values);
  await c.tx.query(
    `UPDATE ${ident(d, w.table)} SET ${Object.keys(values)
      .map((col) => `${ident(d, col)} = ?`)
      .join(', ')} WHERE ${k.sql}`,
    [...Object.values(values), ...k.params],
  );
}
