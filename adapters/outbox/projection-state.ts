/**
 * The dispatcher's durable state, kept in each projection's target database (shared by every API node):
 * `projection_state` (cursor = last delivered seq of the FHIR store's change log) and `projection_dead_letters`
 * (one row per blocked resource: the failing version, the newest version waiting behind it, the error,
 * attempts and the next automatic retry). Created with CREATE TABLE IF NOT EXISTS at start.
 */
import type { SqlClient, SqlTx } from './sql-client.js';

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
    PRIMARY KEY (projection, resource_type, resource_id)
  )${tail}`);
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
  };
}

export async function listDeadLetters(db: SqlClient | SqlTx, projection: string): Promise<DeadLetter[]> {
  const rows = await db.query('SELECT * FROM projection_dead_letters WHERE projection = ? ORDER BY seq', [projection]);
  return rows.map(toDeadLetter);
}

export async function dueDeadLetters(db: SqlClient, projection: string, now: string): Promise<DeadLetter[]> {
  const rows = await db.query(
    'SELECT * FROM projection_dead_letters WHERE projection = ? AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY seq',
    [projection, now],
  );
  return rows.map(toDeadLetter);
}

/** A new failure of a resource (first or again): upsert its dead-letter row. */
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
  const existing = await tx.query<{ attempts: number }>(
    'SELECT attempts FROM projection_dead_letters WHERE projection = ? AND resource_type = ? AND resource_id = ? FOR UPDATE',
    [f.projection, f.resourceType, f.resourceId],
  );
  if (existing[0]) {
    const attempts = Number(existing[0].attempts) + 1;
    await tx.query(
      'UPDATE projection_dead_letters SET failed_version = ?, latest_version = GREATEST(latest_version, ?), error = ?, attempts = ?, next_attempt_at = ?, last_failed_at = ? WHERE projection = ? AND resource_type = ? AND resource_id = ?',
      [
        f.version,
        f.version,
        f.error,
        attempts,
        f.nextAttemptAt(attempts),
        f.now,
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

/** A later version of a blocked resource: held behind the dead letter (never delivered before the failing one). */
export async function holdBehind(
  tx: SqlTx,
  projection: string,
  resourceType: string,
  resourceId: string,
  version: number,
): Promise<void> {
  await tx.query(
    'UPDATE projection_dead_letters SET latest_version = GREATEST(latest_version, ?) WHERE projection = ? AND resource_type = ? AND resource_id = ?',
    [version, projection, resourceType, resourceId],
  );
}

export async function clearDeadLetter(
  tx: SqlTx,
  projection: string,
  resourceType: string,
  resourceId: string,
): Promise<void> {
  await tx.query('DELETE FROM projection_dead_letters WHERE projection = ? AND resource_type = ? AND resource_id = ?', [
    projection,
    resourceType,
    resourceId,
  ]);
}
