/**
 * The dispatcher's durable state, kept in each projection's target database (shared by every API node), so that
 * cursor, rows, versions and dead letters commit together:
 * - `projection_state`: cursor = last delivered seq of the FHIR store's change log;
 * - `projection_versions`: the newest version of each resource applied (at-least-once delivery is idempotent in
 *   effect: an older or repeated version — a rewound cursor, a crash replay — changes nothing);
 * - `projection_dead_letters`: one row per resource that failed (the failing version, the error, attempts and the
 *   next automatic retry). A newer version of the resource supersedes it: delivered, the row is kept marked
 *   `superseded` (shown by the console) until the resource fails again or a rebuild clears the letters.
 * Created with CREATE TABLE IF NOT EXISTS at start (columns added since are added to existing tables).
 */
import { SqlFeedCursor, type CursorTable } from '../../server/change-feed/feed-state.js';
import { SqlDeadLetters, type FeedDeadLetter } from '../../server/change-feed/sql-dead-letters.js';
import type { SqlClient, SqlTx } from './sql-client.js';

export type { DeadLetterState } from '../../server/change-feed/sql-dead-letters.js';

/** A dead letter of a projection (the change feed's letter, named by its projection). */
export type DeadLetter = Omit<FeedDeadLetter, 'consumer'> & { projection: string };

/** The projections' cursor rows and dead-letter table, shared by every projection of a target database. */
export const PROJECTION_CURSORS: CursorTable = { table: 'projection_state', key: 'projection', count: 'delivered' };
export const projectionLetters = new SqlDeadLetters('projection_dead_letters', 'projection');

const asProjectionLetter = ({ consumer, ...rest }: FeedDeadLetter): DeadLetter => ({ projection: consumer, ...rest });

export async function ensureStateTables(db: SqlClient): Promise<void> {
  const idType = db.dialect === 'mysql' ? 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin' : 'VARCHAR(64)';
  const tail = db.dialect === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
  await db.query(`CREATE TABLE IF NOT EXISTS projection_state (
    projection VARCHAR(50) NOT NULL PRIMARY KEY,
    cursor_seq BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    last_change_at VARCHAR(40) NULL
  )${tail}`);
  await db.query(`CREATE TABLE IF NOT EXISTS projection_versions (
    projection VARCHAR(50) NOT NULL,
    resource_type VARCHAR(64) NOT NULL,
    resource_id ${idType} NOT NULL,
    version INT NOT NULL,
    PRIMARY KEY (projection, resource_type, resource_id)
  )${tail}`);
  await projectionLetters.ensureTable(db);
}

/** Locks the projection's state row (one dispatcher at a time across nodes) and returns its cursor. */
export async function lockCursor(tx: SqlTx, projection: string): Promise<number> {
  return new SqlFeedCursor(PROJECTION_CURSORS, projection).lock(tx);
}

export async function readCursor(
  db: SqlClient | SqlTx,
  projection: string,
): Promise<{ cursor: number; delivered: number }> {
  const row = await new SqlFeedCursor(PROJECTION_CURSORS, projection).read(db);
  return { cursor: row?.cursor ?? 0, delivered: row?.count ?? 0 };
}

export type ResourceRef = { resourceType: string; id: string };
const refKey = (r: ResourceRef) => `${r.resourceType}/${r.id}`;

/** The newest applied version of each resource (locked until the transaction ends), keyed 'Type/id'. */
export async function appliedVersions(
  tx: SqlTx,
  projection: string,
  refs: ResourceRef[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const rows = await tx.query<{ resource_type: string; resource_id: string; version: number | string }>(
      `SELECT resource_type, resource_id, version FROM projection_versions WHERE projection = ? AND (resource_type, resource_id) IN (${part.map(() => '(?, ?)').join(', ')}) FOR UPDATE`,
      [projection, ...part.flatMap((r) => [r.resourceType, r.id])],
    );
    for (const r of rows) out.set(`${r.resource_type}/${r.resource_id}`, Number(r.version));
  }
  return out;
}

/** Records the versions just applied (multi-row upsert; a version never goes back). */
export async function recordVersions(
  tx: SqlTx,
  projection: string,
  versions: Array<ResourceRef & { version: number }>,
): Promise<void> {
  const newest = new Map<string, ResourceRef & { version: number }>();
  for (const v of versions) if ((newest.get(refKey(v))?.version ?? 0) < v.version) newest.set(refKey(v), v);
  const list = [...newest.values()];
  for (let i = 0; i < list.length; i += 500) {
    const part = list.slice(i, i + 500);
    const values = part.map(() => '(?, ?, ?, ?)').join(', ');
    const params = part.flatMap((v) => [projection, v.resourceType, v.id, v.version]);
    await tx.query(
      tx.dialect === 'mysql'
        ? `INSERT INTO projection_versions (projection, resource_type, resource_id, version) VALUES ${values} ON DUPLICATE KEY UPDATE version = GREATEST(version, VALUES(version))`
        : `INSERT INTO projection_versions (projection, resource_type, resource_id, version) VALUES ${values} ON CONFLICT (projection, resource_type, resource_id) DO UPDATE SET version = GREATEST(projection_versions.version, EXCLUDED.version)`,
      params,
    );
  }
}

/** Dead letters of a projection, the failed ones (blocking their resource) or all, superseded included. */
export async function listDeadLetters(
  db: SqlClient | SqlTx,
  projection: string,
  which: 'failed' | 'all' = 'failed',
): Promise<DeadLetter[]> {
  return (await projectionLetters.list(db, projection, which)).map(asProjectionLetter);
}

export async function supersede(
  tx: SqlTx,
  projection: string,
  ref: ResourceRef,
  version: number,
  now: string,
): Promise<void> {
  await projectionLetters.supersede(tx, projection, ref, version, now);
}

export async function clearDeadLetter(tx: SqlTx, projection: string, ref: ResourceRef): Promise<void> {
  await projectionLetters.clear(tx, projection, ref);
}
