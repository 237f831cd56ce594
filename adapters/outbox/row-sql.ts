/**
 * The SQL the row writer runs, in both target dialects: multi-row upserts, single inserts (optionally ignoring a
 * duplicate), key conditions, the stored fhir_version of a row (locked), and the replacement of a parent's children.
 */
import { ident, type Dialect, type SqlTx } from './sql-client.js';
import type { Row, SqlValue } from './rows.js';
import { owned, OWNED, REBUILDING } from './row-ownership.js';

export async function insertMany(
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

export function where(d: Dialect, key: Row, resolve: (v: SqlValue) => unknown): { sql: string; params: unknown[] } {
  const cols = Object.keys(key);
  return {
    sql: cols.map((c) => (key[c] === null ? `${ident(d, c)} IS NULL` : `${ident(d, c)} = ?`)).join(' AND '),
    params: cols.filter((c) => key[c] !== null).map((c) => resolve(key[c]!)),
  };
}

export async function insert(
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
export const keyOf = (w: { fhirId?: string; id: string }): [string, string] =>
  w.fhirId ? ['fhir_id', w.fhirId] : ['id', w.id];

export async function currentVersion(tx: SqlTx, table: string, key: [string, string]): Promise<number | undefined> {
  const d = tx.dialect;
  const rows = await tx.query<{ fhir_version: number | string | null }>(
    `SELECT fhir_version FROM ${ident(d, table)} WHERE ${ident(d, key[0])} = ? FOR UPDATE`,
    [key[1]],
  );
  return rows[0] ? Number(rows[0].fhir_version ?? 0) : undefined;
}

/** Children: `rows` upserted by id, the parent's other projected children (not the service's) deleted. */
export async function replaceChildren(
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
