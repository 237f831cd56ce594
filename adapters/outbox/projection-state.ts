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
import type { SqlClient, SqlTx } from './sql-client.js';

export type DeadLetterState = 'failed' | 'superseded';

export type DeadLetter = {
  projection: string;
  resourceType: string;
  resourceId: string;
  failedVersion: number;
  latestVersion: number;
  seq: number;
  error: string;
  attempts: number;
  nextAttemptAt: string | null;
  firstFailedAt: string;
  lastFailedAt: string;
  state: DeadLetterState;
  /** The version that superseded the failed one (state superseded). */
  supersededBy: number | null;
  supersededAt: string | null;
};

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
  await db.query(`CREATE TABLE IF NOT EXISTS projection_dead_letters (
    projection VARCHAR(50) NOT NULL,
    resource_type VARCHAR(64) NOT NULL,
    resource_id ${idType} NOT NULL,
    failed_version INT NOT NULL,
    latest_version INT NOT NULL,
    seq BIGINT NOT NULL,
    error TEXT NOT NULL,
    attempts INT NOT NULL DEFAULT 1,
    next_attempt_at VARCHAR(30) NULL,
    first_failed_at VARCHAR(30) NOT NULL,
    last_failed_at VARCHAR(30) NOT NULL,
    state VARCHAR(20) NOT NULL DEFAULT 'failed',
    superseded_by INT NULL,
    superseded_at VARCHAR(30) NULL,
    PRIMARY KEY (projection, resource_type, resource_id)
  )${tail}`);
  // Tables created by an earlier release lack the superseding columns.
  const have = new Set(
    (
      await db.query<{ c: string }>(
        db.dialect === 'mysql'
          ? "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'projection_dead_letters'"
          : "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'projection_dead_letters'",
      )
    ).map((r) => r.c.toLowerCase()),
  );
  const add: Record<string, string> = {
    state: "VARCHAR(20) NOT NULL DEFAULT 'failed'",
    superseded_by: 'INT NULL',
    superseded_at: 'VARCHAR(30) NULL',
  };
  for (const [column, type] of Object.entries(add))
    if (!have.has(column)) await db.query(`ALTER TABLE projection_dead_letters ADD COLUMN ${column} ${type}`);
}

/** Locks the projection's state row (one dispatcher at a time across nodes) and returns its cursor. */
export async function lockCursor(tx: SqlTx, projection: string): Promise<number> {
  const select = () =>
    tx.query<{ cursor_seq: string | number }>(
      'SELECT cursor_seq FROM projection_state WHERE projection = ? FOR UPDATE',
      [projection],
    );
  let rows = await select();
  if (!rows[0]) {
    const ins =
      tx.dialect === 'mysql'
        ? 'INSERT IGNORE INTO projection_state (projection) VALUES (?)'
        : 'INSERT INTO projection_state (projection) VALUES (?) ON CONFLICT DO NOTHING';
    await tx.query(ins, [projection]);
    rows = await select();
  }
  return Number(rows[0]!.cursor_seq);
}

export async function saveCursor(
  tx: SqlTx,
  projection: string,
  seq: number,
  delivered: number,
  lastChangeAt: string | undefined,
): Promise<void> {
  await tx.query(
    'UPDATE projection_state SET cursor_seq = ?, delivered = delivered + ?, last_change_at = COALESCE(?, last_change_at) WHERE projection = ?',
    [seq, delivered, lastChangeAt ?? null, projection],
  );
}

export async function readCursor(
  db: SqlClient | SqlTx,
  projection: string,
): Promise<{ cursor: number; delivered: number }> {
  const rows = await db.query<{ cursor_seq: string; delivered: string }>(
    'SELECT cursor_seq, delivered FROM projection_state WHERE projection = ?',
    [projection],
  );
  return { cursor: Number(rows[0]?.cursor_seq ?? 0), delivered: Number(rows[0]?.delivered ?? 0) };
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

function toDeadLetter(r: Record<string, any>): DeadLetter {
  return {
    projection: r.projection,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    failedVersion: Number(r.failed_version),
    latestVersion: Number(r.latest_version),
    seq: Number(r.seq),
    error: r.error,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at ?? null,
    firstFailedAt: r.first_failed_at,
    lastFailedAt: r.last_failed_at,
    state: r.state === 'superseded' ? 'superseded' : 'failed',
    supersededBy: r.superseded_by === null || r.superseded_by === undefined ? null : Number(r.superseded_by),
    supersededAt: r.superseded_at ?? null,
  };
}

/** Dead letters of a projection, the failed ones (blocking their resource) or all, superseded included. */
export async function listDeadLetters(
  db: SqlClient | SqlTx,
  projection: string,
  which: 'failed' | 'all' = 'failed',
): Promise<DeadLetter[]> {
  const rows = await db.query(
    `SELECT * FROM projection_dead_letters WHERE projection = ?${which === 'failed' ? " AND state = 'failed'" : ''} ORDER BY seq`,
    [projection],
  );
  return rows.map(toDeadLetter);
}

export async function dueDeadLetters(db: SqlClient, projection: string, now: string): Promise<DeadLetter[]> {
  const rows = await db.query(
    "SELECT * FROM projection_dead_letters WHERE projection = ? AND state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY seq",
    [projection, now],
  );
  return rows.map(toDeadLetter);
}

/**
 * A failure of a resource: its dead letter records this version and error. A failure of a newer version than the
 * one recorded replaces it (the attempts start again); the same version failing again counts an attempt.
 */
export async function recordFailure(
  tx: SqlTx,
  f: {
    projection: string;
    resourceType: string;
    resourceId: string;
    version: number;
    seq: number;
    error: string;
    now: string;
    nextAttemptAt: (attempts: number) => string | null;
  },
): Promise<void> {
  const existing = await tx.query<{ attempts: number; failed_version: number; state: string }>(
    'SELECT attempts, failed_version, state FROM projection_dead_letters WHERE projection = ? AND resource_type = ? AND resource_id = ? FOR UPDATE',
    [f.projection, f.resourceType, f.resourceId],
  );
  const row = existing[0];
  if (row) {
    const again = row.state === 'failed' && Number(row.failed_version) === f.version;
    const attempts = again ? Number(row.attempts) + 1 : 1;
    await tx.query(
      `UPDATE projection_dead_letters SET failed_version = ?, latest_version = ?, seq = ?, error = ?, attempts = ?, next_attempt_at = ?, last_failed_at = ?, state = 'failed', superseded_by = NULL, superseded_at = NULL${again ? '' : ', first_failed_at = ?'} WHERE projection = ? AND resource_type = ? AND resource_id = ?`,
      [
        f.version,
        f.version,
        f.seq,
        f.error,
        attempts,
        f.nextAttemptAt(attempts),
        f.now,
        ...(again ? [] : [f.now]),
        f.projection,
        f.resourceType,
        f.resourceId,
      ],
    );
  } else {
    await tx.query(
      'INSERT INTO projection_dead_letters (projection, resource_type, resource_id, failed_version, latest_version, seq, error, attempts, next_attempt_at, first_failed_at, last_failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)',
      [
        f.projection,
        f.resourceType,
        f.resourceId,
        f.version,
        f.version,
        f.seq,
        f.error,
        f.nextAttemptAt(1),
        f.now,
        f.now,
      ],
    );
  }
}

/** A newer version of a failed resource was delivered: its dead letter stays, marked superseded by that version. */
export async function supersede(
  tx: SqlTx,
  projection: string,
  ref: ResourceRef,
  version: number,
  now: string,
): Promise<void> {
  await tx.query(
    "UPDATE projection_dead_letters SET state = 'superseded', superseded_by = ?, superseded_at = ?, latest_version = ?, next_attempt_at = NULL WHERE projection = ? AND resource_type = ? AND resource_id = ? AND state = 'failed'",
    [version, now, version, projection, ref.resourceType, ref.id],
  );
}

export async function clearDeadLetter(tx: SqlTx, projection: string, ref: ResourceRef): Promise<void> {
  await tx.query('DELETE FROM projection_dead_letters WHERE projection = ? AND resource_type = ? AND resource_id = ?', [
    projection,
    ref.resourceType,
    ref.id,
  ]);
}
