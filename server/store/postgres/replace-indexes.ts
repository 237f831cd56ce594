/**
 * replaceIndexes() and the store settings of the PostgreSQL store. A reindex batch runs in one transaction: the
 * current rows still at the given versions are locked (a concurrent write of the same resource waits, or has already
 * written a newer version whose index is new), their index rows are deleted and the new ones inserted.
 */
import type { IndexReplacement, VersionWrite } from '../resource-store.js';
import { batchRows, SIDE_COLUMNS } from './index-rows.js';
import { pgArray } from './pg-array.js';
import { INDEX_TABLES } from './schema.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';

export async function replaceIndexes(client: SqlClient, items: IndexReplacement[]): Promise<number> {
  if (items.length === 0) return 0;
  return client.transaction(async (tx) => {
    const { rows } = await tx.query<{ resource_type: string; id: string }>({
      text: `SELECT r.resource_type, r.id FROM fhir_resource r
             JOIN unnest($1::text[], $2::text[], $3::int[]) AS k(rt, id, v) ON r.resource_type = k.rt AND r.id = k.id
             WHERE r.version_id = k.v AND NOT r.deleted ORDER BY r.resource_type, r.id FOR UPDATE OF r`,
      values: [
        pgArray(items.map((i) => i.resourceType)),
        pgArray(items.map((i) => i.id)),
        pgArray(items.map((i) => i.versionId)),
      ],
    });
    const current = new Set(rows.map((r) => `${r.resource_type}/${r.id}`));
    const kept = items.filter((i) => current.has(`${i.resourceType}/${i.id}`));
    if (kept.length === 0) return 0;
    await rewriteIndexRows(tx, kept);
    return kept.length;
  });
}

/** Deletes the index rows of the given resources and inserts the given ones, in the caller's transaction. */
export async function rewriteIndexRows(tx: SqlExecutor, items: IndexReplacement[]): Promise<void> {
  const types = pgArray(items.map((i) => i.resourceType));
  const ids = pgArray(items.map((i) => i.id));
  for (const table of INDEX_TABLES) {
    await tx.query({
      text: `DELETE FROM ${table} t USING unnest($1::text[], $2::text[]) AS k(rt, id) WHERE t.resource_type = k.rt AND t.resource_id = k.id`,
      values: [types, ids],
    });
  }
  await insertIndexRows(tx, items);
}

async function insertIndexRows(tx: SqlExecutor, items: IndexReplacement[]): Promise<void> {
  const writes = items.map((i): VersionWrite => ({
    ...i,
    lastUpdated: '',
    resource: { resourceType: i.resourceType } as never,
  }));
  const rows = batchRows(writes);
  for (const [table, t] of rows.tables) {
    const columns = SIDE_COLUMNS[table];
    const values = [pgArray(t.types), pgArray(t.ids), pgArray(t.params), pgArray(t.tuples), ...t.columns.map(pgArray)];
    const arrays = [
      '$1::text[]',
      '$2::text[]',
      '$3::text[]',
      '$4::int[]',
      ...columns.map((col, i) => `$${i + 5}::${col.type}[]`),
    ];
    const names = ['resource_type', 'resource_id', 'param', 'tuple', ...columns.map((col) => col.name)];
    await tx.query({
      text: `INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`,
      values,
    });
  }
  const { types, ids, refs } = rows.compartments;
  if (refs.length > 0) {
    await tx.query({
      text: `INSERT INTO fhir_compartment (resource_type, resource_id, ref) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      values: [pgArray(types), pgArray(ids), pgArray(refs)],
    });
  }
}

export async function readSetting(db: SqlExecutor, key: string): Promise<string | undefined> {
  const { rows } = await db.query<{ value: string }>({
    name: 'fhir_setting_read',
    text: 'SELECT value FROM fhir_setting WHERE key = $1',
    values: [key],
  });
  return rows[0]?.value;
}

export async function writeSetting(db: SqlExecutor, key: string, value: string | undefined): Promise<void> {
  if (value === undefined) {
    await db.query({ name: 'fhir_setting_delete', text: 'DELETE FROM fhir_setting WHERE key = $1', values: [key] });
    return;
  }
  await db.query({
    name: 'fhir_setting_write',
    text: 'INSERT INTO fhir_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
    values: [key, value],
  });
}
