/**
 * Applies the rows of one delivered version inside the caller's transaction: upserts keyed by fhir_id and
 * guarded by fhir_version (a stale or repeated version changes nothing), dimension rows ensured by natural key,
 * children upserted in place, deletes soft or hard, derived columns recomputed. High-rate rows (bulkUpsert) are
 * collected and flushed per batch. Every row the projection inserts or rewrites is marked source = 'fhir'
 * (projection-owned); rows the services write keep source NULL and are never rewritten or removed here.
 */
import { ident, type Dialect, type SqlTx } from './sql-client.js';
import { MappingError, type Row, type RowWrite, type SqlValue } from './rows.js';

export type ApplyResult = 'applied' | 'stale';

/** The ownership mark of projected rows; `REBUILDING` marks them, during a rebuild, until they are written again. */
export const OWNED = 'fhir';
export const REBUILDING = 'fhir_rebuilding';
/** Bookkeeping tables of the projections themselves (no source column). */
const UNMARKED = new Set(['fhir_reference_ids']);
const owned = (table: string, values: Record<string, unknown>) =>
  UNMARKED.has(table) ? values : { ...values, source: OWNED };

export class BulkRows {
  /** table → conflict columns + rows keyed by the conflict key (last wins within a batch). */
  private readonly tables = new Map<string, { conflict: string[]; rows: Map<string, Record<string, unknown>> }>();

  add(table: string, conflict: string[], values: Record<string, unknown>): void {
    let entry = this.tables.get(table);
    if (!entry) this.tables.set(table, (entry = { conflict, rows: new Map() }));
    entry.rows.set(JSON.stringify(conflict.map((c) => values[c])), owned(table, values));
  }

  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rows.size;
    return n;
  }

  async flush(tx: SqlTx, only?: string): Promise<void> {
    for (const [table, { conflict, rows }] of this.tables) {
      if (only && table !== only) continue;
      const all = [...rows.values()];
      for (let i = 0; i < all.length; i += 500) await insertMany(tx, table, conflict, all.slice(i, i + 500));
      this.tables.delete(table);
    }
  }
}

async function insertMany(
  tx: SqlTx,
  table: string,
  conflict: string[],
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const d = tx.dialect;
  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const params = rows.flatMap((r) => columns.map((c) => r[c] ?? null));
  const updates = columns.filter((c) => !conflict.includes(c));
  const upsert =
    d === 'mysql'
      ? ` ON DUPLICATE KEY UPDATE ${updates.map((c) => `${ident(d, c)} = VALUES(${ident(d, c)})`).join(', ')}`
      : ` ON CONFLICT (${conflict.map((c) => ident(d, c)).join(', ')}) DO UPDATE SET ${updates.map((c) => `${ident(d, c)} = EXCLUDED.${ident(d, c)}`).join(', ')}`;
  await tx.query(
    `INSERT INTO ${ident(d, table)} (${columns.map((c) => ident(d, c)).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${upsert}`,
    params,
  );
}

function where(d: Dialect, key: Row, resolve: (v: SqlValue) => unknown): { sql: string; params: unknown[] } {
  const cols = Object.keys(key);
  return {
    sql: cols.map((c) => (key[c] === null ? `${ident(d, c)} IS NULL` : `${ident(d, c)} = ?`)).join(' AND '),
    params: cols.filter((c) => key[c] !== null).map((c) => resolve(key[c]!)),
  };
}

async function insert(
  tx: SqlTx,
  table: string,
  values: Record<string, unknown>,
  ignoreDuplicate = false,
): Promise<void> {
  const d = tx.dialect;
  const cols = Object.keys(values);
  const head = d === 'mysql' && ignoreDuplicate ? 'INSERT IGNORE INTO' : 'INSERT INTO';
  const tail = d === 'postgres' && ignoreDuplicate ? ' ON CONFLICT DO NOTHING' : '';
  await tx.query(
    `${head} ${ident(d, table)} (${cols.map((c) => ident(d, c)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})${tail}`,
    Object.values(values),
  );
}

function groupByColumns(rows: Record<string, unknown>[]): Record<string, unknown>[][] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const k = Object.keys(r).join(',');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()];
}

/** The key of an upserted row: fhir_id when it is the resource's own row, else its stable id. */
const keyOf = (w: { fhirId?: string; id: string }): [string, string] =>
  w.fhirId ? ['fhir_id', w.fhirId] : ['id', w.id];

async function currentVersion(tx: SqlTx, table: string, key: [string, string]): Promise<number | undefined> {
  const d = tx.dialect;
  const rows = await tx.query<{ fhir_version: number | string | null }>(
    `SELECT fhir_version FROM ${ident(d, table)} WHERE ${ident(d, key[0])} = ? FOR UPDATE`,
    [key[1]],
  );
  return rows[0] ? Number(rows[0].fhir_version ?? 0) : undefined;
}

/** Children: `rows` upserted by id, the parent's other projected children (not the service's) deleted. */
async function replaceChildren(
  tx: SqlTx,
  table: string,
  parentColumn: string,
  parent: unknown,
  rows: Record<string, unknown>[],
) {
  const d = tx.dialect;
  const ids = rows.map((r) => r.id);
  await tx.query(
    `DELETE FROM ${ident(d, table)} WHERE ${ident(d, parentColumn)} = ? AND source IN (?, ?)${ids.length ? ` AND id NOT IN (${ids.map(() => '?').join(', ')})` : ''}`,
    [parent, OWNED, REBUILDING, ...ids],
  );
  for (const group of groupByColumns(rows.map((r) => owned(table, { [parentColumn]: parent, ...r }))))
    await insertMany(tx, table, ['id'], group);
}

/**
 * Applies one delivery's rows. `stale` when the primary row (first upsert/delete) already has this version or a newer
 * one. `force` (rebuilds) writes rows whatever version they have, in place.
 */
export async function applyRows(tx: SqlTx, writes: RowWrite[], bulk: BulkRows, force = false): Promise<ApplyResult> {
  const d = tx.dialect;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the narrowing is what the cast says
  const primary = writes.find((w) => w.op === 'upsert' || w.op === 'delete') as
    Extract<RowWrite, { op: 'upsert' | 'delete' }> | undefined;
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
    return typeof v === 'boolean' && d === 'mysql' ? (v ? 1 : 0) : v;
  };
  const resolved = (r: Row) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, resolve(v)]));

  for (const w of writes) {
    switch (w.op) {
      case 'upsert': {
        // The primary row's version was read above; a row adopted by an earlier 'update' of this delivery is re-read.
        const adopted =
          w === primary &&
          writes.indexOf(w) > 0 &&
          writes.slice(0, writes.indexOf(w)).some((x) => x.op === 'update' && x.table === w.table);
        const key = keyOf(w);
        const current = w === primary && !adopted ? primaryCurrent : await currentVersion(tx, w.table, key);
        if (!force && w !== primary && current !== undefined && current >= w.version) break;
        const values = owned(w.table, resolved(w.values));
        if (current !== undefined) {
          const cols = Object.keys(values);
          await tx.query(
            `UPDATE ${ident(d, w.table)} SET ${[...cols, 'fhir_version'].map((c) => `${ident(d, c)} = ?`).join(', ')} WHERE ${ident(d, key[0])} = ?${force ? '' : ' AND (fhir_version IS NULL OR fhir_version < ?)'}`,
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
        break;
      }
      case 'ensure': {
        const k = where(d, w.key, resolve);
        const found = await tx.query<{ id: string }>(`SELECT id FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
        if (found[0]) refs.set(w.ref, found[0].id);
        else {
          await insert(tx, w.table, owned(w.table, { id: w.id, ...resolved(w.key), ...resolved(w.values) }));
          refs.set(w.ref, w.id);
        }
        break;
      }
      case 'lookup': {
        const k = where(d, w.key, resolve);
        const found = await tx.query<{ id: string }>(`SELECT id FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
        if (!found[0]) throw new MappingError(w.missing);
        refs.set(w.ref, found[0].id);
        break;
      }
      case 'replaceChildren':
        await replaceChildren(tx, w.table, w.parentColumn, resolve(w.parent), w.rows.map(resolved));
        break;
      case 'delete': {
        const current = w === primary ? 0 : await currentVersion(tx, w.table, ['fhir_id', w.fhirId]);
        if (current === undefined || (!force && current >= w.version)) break;
        if (w.soft)
          await tx.query(
            `UPDATE ${ident(d, w.table)} SET deleted_at = COALESCE(deleted_at, CURRENT_TIMESTAMP), fhir_version = ?, source = ? WHERE fhir_id = ?`,
            [w.version, OWNED, w.fhirId],
          );
        else await tx.query(`DELETE FROM ${ident(d, w.table)} WHERE fhir_id = ?`, [w.fhirId]);
        break;
      }
      case 'append':
        await insert(tx, w.table, owned(w.table, { id: w.id, ...resolved(w.values) }), true);
        break;
      case 'update': {
        const k = where(d, w.where, resolve);
        if (w.missing) {
          const found = await tx.query(`SELECT 1 AS x FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
          if (found.length === 0) throw new MappingError(w.missing);
        }
        const values = resolved(w.values);
        await tx.query(
          `UPDATE ${ident(d, w.table)} SET ${Object.keys(values)
            .map((c) => `${ident(d, c)} = ?`)
            .join(', ')} WHERE ${k.sql}`,
          [...Object.values(values), ...k.params],
        );
        break;
      }
      case 'bulkUpsert':
        bulk.add(w.table, w.conflict, resolved(w.values));
        break;
      case 'derive':
        await bulk.flush(tx);
        await w.run(tx, w.args.map(resolve));
        break;
      case 'deleteWhere': {
        await bulk.flush(tx, w.table);
        const k = where(d, w.where, resolve);
        await tx.query(`DELETE FROM ${ident(d, w.table)} WHERE ${k.sql}`, k.params);
        break;
      }
      default: {
        const never: never = w;
        throw new Error(`unknown row write ${JSON.stringify(never)}`);
      }
    }
  }
  return 'applied';
}
