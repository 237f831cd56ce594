/**
 * write(): one statement for a single version, one transaction for a batch. Compare-and-set on fhir_resource (insert for version 1,
 * update guarded by `version_id = N - 1` otherwise), then history, index rows and the outbox row.
 */
import { VersionConflictError, type VersionWrite } from '../resource-store.js';
import { batchRows, SIDE_COLUMNS, type SideTable } from './index-rows.js';
import { INDEX_TABLES } from './schema.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';

const VERSION_ARRAYS = `unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bool[], $7::jsonb[])`;

const CREATE_CURRENT = {
  name: 'fhir_create_current',
  text: `INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content)
         SELECT * FROM ${VERSION_ARRAYS} ON CONFLICT (resource_type, id) DO NOTHING RETURNING resource_type, id`,
};

const UPDATE_CURRENT = {
  name: 'fhir_update_current',
  text: `UPDATE fhir_resource r SET version_id = u.v, last_updated = u.lu, last_updated_ms = u.ms, deleted = u.d, content = u.c
         FROM ${VERSION_ARRAYS} AS u(rt, id, v, lu, ms, d, c)
         WHERE r.resource_type = u.rt AND r.id = u.id AND r.version_id = u.v - 1 RETURNING r.resource_type, r.id`,
};

/**
 * Outbox rows, unsequenced (changes.ts gives them their seq after commit): no lock on the write path,
 * so that concurrent commits share their WAL flushes (group commit). Same arrays as the history rows.
 */
const changeRows = (gate: string) => `c AS (INSERT INTO fhir_change (resource_type, resource_id, version_id, deleted, last_updated)
  SELECT u.rt, u.id, u.v, u.d, u.lu FROM ${VERSION_ARRAYS} WITH ORDINALITY AS u(rt, id, v, lu, ms, d, c, n) WHERE ${gate} ORDER BY u.n)`;

export async function writeVersions(client: SqlClient, writes: VersionWrite[]): Promise<void> {
  if (writes.length === 0) return;
  for (const w of writes) {
    if (!Number.isInteger(w.versionId) || w.versionId < 1) throw new VersionConflictError(w.resourceType, w.id, w.versionId);
    if (Number.isNaN(Date.parse(w.lastUpdated))) throw new TypeError(`lastUpdated is not an instant: ${w.lastUpdated}`);
  }
  if (writes.length === 1) return writeOne(client, writes[0]!);
  const keys = new Set(writes.map((w) => `${w.resourceType}/${w.id}`));
  await client.transaction(async (tx) => {
    if (keys.size === writes.length) await applyBatch(tx, writes);
    else for (const w of writes) await applyBatch(tx, [w]); // the same resource twice: in order
  });
}

/**
 * The common case, one version: a single autocommit statement (one round trip). Every other
 * sub-statement is gated on the compare-and-set having succeeded, so a losing writer changes nothing;
 * the CAS row lock (or the unique index, for creates) orders writers of the same resource.
 */
async function writeOne(client: SqlClient, write: VersionWrite): Promise<void> {
  const cas = write.versionId === 1 ? CREATE_CURRENT : UPDATE_CURRENT;
  const { text, values } = rowsStatement([write], write.versionId > 1 ? [write] : [], cas.text);
  const { rows } = await client.query<{ pass: boolean }>({ name: statementName(text), text, values });
  if (rows[0]?.pass !== true) throw new VersionConflictError(write.resourceType, write.id, write.versionId);
}

async function applyBatch(tx: SqlExecutor, writes: VersionWrite[]): Promise<void> {
  const creates = writes.filter((w) => w.versionId === 1);
  const updates = writes.filter((w) => w.versionId > 1);
  await compareAndSet(tx, CREATE_CURRENT, creates);
  await compareAndSet(tx, UPDATE_CURRENT, updates);
  const { text, values } = rowsStatement(writes, updates);
  await tx.query({ name: statementName(text), text, values });
}

async function compareAndSet(tx: SqlExecutor, statement: { name: string; text: string }, writes: VersionWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const result = await tx.query<{ resource_type: string; id: string }>({ ...statement, values: versionArrays(writes) });
  if (result.rows.length === writes.length) return;
  const done = new Set(result.rows.map((r) => `${r.resource_type}/${r.id}`));
  const lost = writes.find((w) => !done.has(`${w.resourceType}/${w.id}`)) ?? writes[0]!;
  throw new VersionConflictError(lost.resourceType, lost.id, lost.versionId);
}

function versionArrays(writes: VersionWrite[]): unknown[] {
  return [
    writes.map((w) => w.resourceType),
    writes.map((w) => w.id),
    writes.map((w) => w.versionId),
    writes.map((w) => w.lastUpdated),
    writes.map((w) => Date.parse(w.lastUpdated)),
    writes.map((w) => w.resource === null),
    writes.map((w) => (w.resource === null ? null : JSON.stringify(w.resource))),
  ];
}

/**
 * One statement: the history rows, the outbox rows, the removal of the previous index rows (updates only; the
 * sub-statements of a WITH share one snapshot, so the deletes do not see the new rows) and the new
 * index rows of every side table.
 */
function rowsStatement(writes: VersionWrite[], updates: VersionWrite[], casText?: string): { text: string; values: unknown[] } {
  const values: unknown[] = versionArrays(writes);
  const gate = casText ? '(SELECT pass FROM ok)' : 'TRUE';
  const parts = [
    ...(casText ? [`cas AS (${casText})`, `ok AS MATERIALIZED (SELECT count(*) = ${writes.length} AS pass FROM cas)`] : []),
    `h AS (INSERT INTO fhir_history (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content) SELECT * FROM ${VERSION_ARRAYS} WHERE ${gate})`,
    changeRows(gate),
  ];
  const bind = (value: unknown, type: string): string => {
    values.push(value);
    return `$${values.length}::${type}[]`;
  };
  if (updates.length > 0) {
    const types = bind(updates.map((w) => w.resourceType), 'text');
    const ids = bind(updates.map((w) => w.id), 'text');
    INDEX_TABLES.forEach((table, i) => {
      parts.push(`d${i} AS (DELETE FROM ${table} t USING unnest(${types}, ${ids}) AS k(rt, id) WHERE t.resource_type = k.rt AND t.resource_id = k.id AND ${gate})`);
    });
  }
  const rows = batchRows(writes);
  for (const [table, t] of rows.tables) {
    const columns = SIDE_COLUMNS[table as SideTable];
    const arrays = [bind(t.types, 'text'), bind(t.ids, 'text'), bind(t.params, 'text'), bind(t.tuples, 'int'), ...columns.map((col, i) => bind(t.columns[i], col.type))];
    const names = ['resource_type', 'resource_id', 'param', 'tuple', ...columns.map((col) => col.name)];
    parts.push(`i_${table} AS (INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')}) WHERE ${gate})`);
  }
  if (rows.compartments.refs.length > 0) {
    const { types, ids, refs } = rows.compartments;
    parts.push(`i_compartment AS (INSERT INTO fhir_compartment (resource_type, resource_id, ref) SELECT * FROM unnest(${bind(types, 'text')}, ${bind(ids, 'text')}, ${bind(refs, 'text')}) WHERE ${gate})`);
  }
  return { text: `WITH ${parts.join(',\n')} SELECT ${gate} AS pass`, values };
}

/** The row statement's text depends only on which tables it touches: a small set of prepared names. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `fhir_rows_${names.size}`;
    names.set(text, name);
  }
  return name;
}
