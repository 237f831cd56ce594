/**
 * write(): ONE statement per batch (one round trip, atomic on its own): compare-and-set on fhir_resource
 * (insert for version 1, update guarded by `version_id = N - 1` otherwise), then history, the outbox rows,
 * the removal of the previous index rows (updates) and the new index rows. When fewer current rows were
 * set than versions given, fhir_expect_versions() raises FH409 and the whole statement is undone.
 *
 * A Binary version's content (VersionWrite.contentIds, streamed in beforehand by pg-content-store.ts) is claimed in
 * the same statement: the bytes become part of the record exactly when the version commits.
 *
 * The resources travel once, as one JSON array (no array-literal escaping in the driver, one jsonb parse
 * on the server), and fhir_resource and fhir_history are both filled from it.
 */
import { VersionConflictError, type VersionWrite } from '../resource-store.js';
import { pgArray } from './pg-array.js';
import { collectNumberTexts } from '../../json/number-texts.js';
import { stringifyJson } from '../../json/stringify-json.js';
import { batchRows, SIDE_COLUMNS, type SideTable } from './index-rows.js';
import { INDEX_TABLES, VERSION_CONFLICT_STATE } from './schema.js';
import type { SqlClient, SqlExecutor } from './sql-client.js';
import { statementNamer } from './statement-names.js';

/**
 * The versions, one row each (rt, id, v, lu, ms, d, c, t, n); content is SQL NULL for a delete; t (number_texts)
 * is SQL NULL unless the resource has numbers whose text must be kept (server/json/number-texts.ts).
 */
const VERSIONS = `v AS (SELECT u.rt, u.id, u.v, u.lu, u.ms, u.d, CASE WHEN u.d THEN NULL ELSE u.c END AS c, NULLIF(u.t, 'null'::jsonb) AS t, u.n
  FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::int[]), unnest($4::text[]), unnest($5::bigint[]), unnest($6::bool[]), jsonb_array_elements($7::jsonb), jsonb_array_elements($9::jsonb))
  WITH ORDINALITY AS u(rt, id, v, lu, ms, d, c, t, n))`;

/**
 * A create that lost the race to another create of the id inserts nothing (0 rows: FH409, a version conflict). The
 * conflict target names BOTH unique indexes over (resource_type, id) as arbiters: the primary key and the partial
 * fhir_resource_current (schema.ts; `WHERE NOT deleted` is what makes PostgreSQL infer the partial one). With the
 * primary key alone, two creates that both passed its pre-check ended with a unique violation raised by the other
 * index (23505, a 500) instead of a conflict.
 */
const CREATE_CURRENT = `cc AS (INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content, number_texts)
  SELECT rt, id, v, lu, ms, d, c, t FROM v WHERE v = 1 ORDER BY rt, id ON CONFLICT (resource_type, id) WHERE NOT deleted DO NOTHING RETURNING 1)`;

/**
 * Rows are taken in key order, whatever the order of the versions: two writes of the same resources in opposite orders
 * (overlapping transaction bundles) would otherwise each hold the row the other waits for, a deadlock PostgreSQL ends
 * by failing one of them (40P01, a 500). Creates insert in key order (above); the rows to update are locked in key
 * order first (lk, ORDER BY under FOR UPDATE: LockRows takes them in the sorted order) — the UPDATE's own join order is
 * the planner's choice. cc runs before lk (ok evaluates cc first), so every write takes its new rows, then its
 * existing rows, each in key order.
 */
const LOCK_CURRENT = `lk AS MATERIALIZED (SELECT 1 FROM fhir_resource r JOIN v ON r.resource_type = v.rt AND r.id = v.id
  WHERE v.v > 1 ORDER BY r.resource_type, r.id FOR UPDATE OF r)`;

const UPDATE_CURRENT = `cu AS (UPDATE fhir_resource r SET version_id = v.v, last_updated = v.lu, last_updated_ms = v.ms, deleted = v.d, content = v.c, number_texts = v.t
  FROM v WHERE (SELECT count(*) FROM lk) >= 0 AND v.v > 1 AND r.resource_type = v.rt AND r.id = v.id AND r.version_id = v.v - 1 RETURNING 1)`;

/** The checks of a batch before any SQL (PostgresStore.write runs them before grouping writes: group-commit.ts). */
export function checkWrites(writes: VersionWrite[]): void {
  for (const w of writes) {
    if (!Number.isInteger(w.versionId) || w.versionId < 1)
      throw new VersionConflictError(w.resourceType, w.id, w.versionId);
    if (Number.isNaN(Date.parse(w.lastUpdated))) throw new TypeError(`lastUpdated is not an instant: ${w.lastUpdated}`);
  }
}

export async function writeVersions(client: SqlClient, writes: VersionWrite[]): Promise<void> {
  if (writes.length === 0) return;
  checkWrites(writes);
  const keys = new Set(writes.map((w) => `${w.resourceType}/${w.id}`));
  if (keys.size === writes.length) return applyVersions(client, writes);
  // the same resource twice: one statement per version, in order, in one transaction
  await client.transaction(async (tx) => {
    for (const w of writes) await applyVersions(tx, [w]);
  });
}

async function applyVersions(db: SqlExecutor, writes: VersionWrite[]): Promise<void> {
  const { text, values } = versionsStatement(writes);
  try {
    await db.query({ name: statementName(text)!, text, values });
  } catch (error) {
    if (!isVersionConflict(error)) throw error;
    throw await conflictOf(db, writes);
  }
}

function isVersionConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === VERSION_CONFLICT_STATE;
}

/** Names the version that lost (the statement was undone, so the current rows show who wrote first). */
async function conflictOf(db: SqlExecutor, writes: VersionWrite[]): Promise<VersionConflictError> {
  const { rows } = await db
    .query<{ resource_type: string; id: string; version_id: number }>({
      name: 'fhir_current_versions',
      text: `SELECT resource_type, id, version_id FROM fhir_resource WHERE (resource_type, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      values: [writes.map((w) => w.resourceType), writes.map((w) => w.id)],
    })
    .catch(() => ({ rows: [] })); // inside an aborted transaction: name the first version
  const current = new Map(rows.map((r) => [`${r.resource_type}/${r.id}`, Number(r.version_id)]));
  const lost = writes.find((w) => (current.get(`${w.resourceType}/${w.id}`) ?? 0) !== w.versionId - 1) ?? writes[0]!;
  return new VersionConflictError(lost.resourceType, lost.id, lost.versionId);
}

/**
 * The statement's text depends only on which tables it touches (named in one order): a small set of prepared names. Exported for the test
 * that EXPLAINs it (write-versions.int.test.ts).
 */
export function versionsStatement(writes: VersionWrite[]): { text: string; values: unknown[] } {
  const texts = writes.map((w) => collectNumberTexts(w.resource) ?? null);
  const anyTexts = texts.some((t) => t !== null);
  const resources = writes.map((w) => w.resource);
  const values: unknown[] = [
    pgArray(writes.map((w) => w.resourceType)),
    pgArray(writes.map((w) => w.id)),
    pgArray(writes.map((w) => w.versionId)),
    pgArray(writes.map((w) => w.lastUpdated)),
    pgArray(writes.map((w) => Date.parse(w.lastUpdated))),
    pgArray(writes.map((w) => w.resource === null)),
    // the content keeps the written number texts too (jsonb keeps 1.50, not 1E-22): readable by SQL as written
    anyTexts ? stringifyJson(resources) : JSON.stringify(resources),
    writes.length,
    JSON.stringify(texts),
  ];
  const bind = (value: readonly unknown[], type: string): string => {
    values.push(pgArray(value));
    return `$${values.length}::${type}[]`;
  };
  const creates = writes.some((w) => w.versionId === 1);
  const updates = writes.filter((w) => w.versionId > 1);
  const applied = [
    ...(creates ? ['(SELECT count(*) FROM cc)'] : []),
    ...(updates.length > 0 ? ['(SELECT count(*) FROM cu)'] : []),
  ].join(' + ');
  const parts = [
    VERSIONS,
    ...(creates ? [CREATE_CURRENT] : []),
    ...(updates.length > 0 ? [LOCK_CURRENT, UPDATE_CURRENT] : []),
    `ok AS MATERIALIZED (SELECT fhir_expect_versions(${applied}, $8::int) AS pass)`,
    `h AS (INSERT INTO fhir_history (resource_type, id, version_id, last_updated, last_updated_ms, deleted, content, number_texts) SELECT rt, id, v, lu, ms, d, c, t FROM v WHERE (SELECT pass FROM ok))`,
    // the outbox rows, unsequenced (changes.ts gives them their seq after commit): no lock on the write
    // path, so that concurrent commits share their WAL flushes (group commit)
    `c AS (INSERT INTO fhir_change (resource_type, resource_id, version_id, deleted, last_updated) SELECT rt, id, v, d, lu FROM v WHERE (SELECT pass FROM ok) ORDER BY n)`,
  ];
  const gate = '(SELECT pass FROM ok)';
  if (updates.length > 0) {
    // the sub-statements of a WITH share one snapshot: these deletes do not see the new rows
    const types = bind(
      updates.map((w) => w.resourceType),
      'text',
    );
    const ids = bind(
      updates.map((w) => w.id),
      'text',
    );
    INDEX_TABLES.forEach((table, i) => {
      parts.push(
        `d${i} AS (DELETE FROM ${table} t USING unnest(${types}, ${ids}) AS k(rt, id) WHERE t.resource_type = k.rt AND t.resource_id = k.id AND ${gate})`,
      );
    });
  }
  const contentIds = writes.flatMap((w) => w.contentIds ?? []);
  if (contentIds.length > 0)
    parts.push(
      `claim AS (UPDATE nilecare_documents.binary_content SET claimed = true WHERE content_id = ANY(${bind(contentIds, 'text')}) AND ${gate})`,
    );
  const rows = batchRows(writes);
  // the side tables the batch fills, always in one order (they came in the order of the batch's first entry of each
  // kind: one text per order, 33 shapes in 400 HL7 messages). Not every table whatever the batch (empty arrays, one
  // text): each table named costs every execution its start-up (its indexes opened and locked) — a single Patient
  // create's PostgreSQL CPU went 1.27 -> 2.71 ms with the 5 tables it does not fill named (load 10)
  for (const table of SIDE_TABLES) {
    const t = rows.tables.get(table);
    if (t === undefined) continue;
    const columns = SIDE_COLUMNS[table];
    const arrays = [
      bind(t.types, 'text'),
      bind(t.ids, 'text'),
      bind(t.params, 'text'),
      bind(t.tuples, 'int'),
      ...columns.map((col, i) => bind(t.columns[i]!, col.type)), // index-rows keeps one array per side column
    ];
    const names = ['resource_type', 'resource_id', 'param', 'tuple', ...columns.map((col) => col.name)];
    parts.push(
      `i_${table} AS (INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')}) WHERE ${gate})`,
    );
  }
  if (rows.compartments.refs.length > 0) {
    const { types, ids, refs } = rows.compartments;
    parts.push(
      `i_compartment AS (INSERT INTO fhir_compartment (resource_type, resource_id, ref) SELECT * FROM unnest(${bind(types, 'text')}, ${bind(ids, 'text')}, ${bind(refs, 'text')}) WHERE ${gate})`,
    );
  }
  return { text: `WITH ${parts.join(',\n')} SELECT ${gate} AS pass`, values };
}

const SIDE_TABLES = Object.keys(SIDE_COLUMNS) as SideTable[];

/** One name per write-statement shape (a finite set: the shapes follow from the index kinds and companions written). */
const statementName = statementNamer('fhir_versions_');
