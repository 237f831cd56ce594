/**
 * A change-feed consumer's dead letters: one row per resource whose change it could not apply (the failing version,
 * the error, attempts and the next automatic retry on a backoff schedule), in the consumer's database so that a
 * failure commits with the batch that met it. A newer version of the resource, applied, supersedes the letter: the
 * row stays, marked `superseded`, for the operators' console until the resource fails again or the letters are
 * cleared. The same SQL runs on MySQL/MariaDB and PostgreSQL; the table is named by the consumer (projections:
 * projection_dead_letters, keyed by `projection`).
 */
import type { FeedDb, FeedTx } from './feed-state.js';

export type DeadLetterState = 'failed' | 'superseded';

export type FeedDeadLetter = {
  consumer: string;
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

export type FeedFailure = {
  resourceType: string;
  resourceId: string;
  version: number;
  seq: number;
  error: string;
  now: string;
  /** When the next automatic attempt is due after `attempts` failures (null: none). */
  nextAttemptAt: (attempts: number) => string | null;
};

export type ResourceRef = { resourceType: string; id: string };

const IDENT = /^[a-z_][a-z0-9_]*$/;

type LetterRow = Record<string, string | number | null | undefined>;

export class SqlDeadLetters {
  /** `table` holds the letters of every consumer sharing it, told apart by the `key` column. */
  constructor(
    private readonly table: string,
    private readonly key: string,
  ) {
    for (const n of [table, key]) if (!IDENT.test(n)) throw new Error(`bad identifier ${n}`);
  }

  /** CREATE TABLE IF NOT EXISTS, and the columns added since the first release. */
  async ensureTable(db: FeedTx): Promise<void> {
    const idType = db.dialect === 'mysql' ? 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin' : 'VARCHAR(64)';
    const tail = db.dialect === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
    ${this.key} VARCHAR(50) NOT NULL,
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
    PRIMARY KEY (${this.key}, resource_type, resource_id)
  )${tail}`);
    const have = new Set(
      (
        await db.query<{ c: string }>(
          `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ${db.dialect === 'mysql' ? 'DATABASE()' : 'current_schema()'} AND table_name = ?`,
          [this.table],
        )
      ).map((r) => r.c.toLowerCase()),
    );
    const add: Record<string, string> = {
      state: "VARCHAR(20) NOT NULL DEFAULT 'failed'",
      superseded_by: 'INT NULL',
      superseded_at: 'VARCHAR(30) NULL',
    };
    for (const [column, type] of Object.entries(add))
      if (!have.has(column)) await db.query(`ALTER TABLE ${this.table} ADD COLUMN ${column} ${type}`);
  }

  /** The consumer's letters, the failed ones (blocking their resource) or all, superseded included. */
  async list(db: FeedTx, consumer: string, which: 'failed' | 'all' = 'failed'): Promise<FeedDeadLetter[]> {
    const rows = await db.query<LetterRow>(
      `SELECT * FROM ${this.table} WHERE ${this.key} = ?${which === 'failed' ? " AND state = 'failed'" : ''} ORDER BY seq`,
      [consumer],
    );
    return rows.map((r) => this.toLetter(r));
  }

  /** Failed letters whose next automatic attempt is due at `now`. */
  async due(db: FeedDb | FeedTx, consumer: string, now: string): Promise<FeedDeadLetter[]> {
    const rows = await db.query<LetterRow>(
      `SELECT * FROM ${this.table} WHERE ${this.key} = ? AND state = 'failed' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY seq`,
      [consumer, now],
    );
    return rows.map((r) => this.toLetter(r));
  }

  /**
   * A failure of a resource: its letter records this version and error. A failure of another version than the one
   * recorded replaces it (the attempts start again); the same version failing again counts an attempt.
   */
  async recordFailure(tx: FeedTx, consumer: string, f: FeedFailure): Promise<void> {
    const where = `${this.key} = ? AND resource_type = ? AND resource_id = ?`;
    const key = [consumer, f.resourceType, f.resourceId];
    const existing = await tx.query<{ attempts: number | string; failed_version: number | string; state: string }>(
      `SELECT attempts, failed_version, state FROM ${this.table} WHERE ${where} FOR UPDATE`,
      key,
    );
    const row = existing[0];
    if (row) {
      const again = row.state === 'failed' && Number(row.failed_version) === f.version;
      const attempts = again ? Number(row.attempts) + 1 : 1;
      await tx.query(
        `UPDATE ${this.table} SET failed_version = ?, latest_version = ?, seq = ?, error = ?, attempts = ?, next_attempt_at = ?, last_failed_at = ?, state = 'failed', superseded_by = NULL, superseded_at = NULL${again ? '' : ', first_failed_at = ?'} WHERE ${where}`,
        [
          f.version,
          f.version,
          f.seq,
          f.error,
          attempts,
          f.nextAttemptAt(attempts),
          f.now,
          ...(again ? [] : [f.now]),
          ...key,
        ],
      );
      return;
    }
    await tx.query(
      `INSERT INTO ${this.table} (${this.key}, resource_type, resource_id, failed_version, latest_version, seq, error, attempts, next_attempt_at, first_failed_at, last_failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
      [...key, f.version, f.version, f.seq, f.error, f.nextAttemptAt(1), f.now, f.now],
    );
  }

  /** A newer version of a failed resource was applied: its letter stays, marked superseded by that version. */
  async supersede(tx: FeedTx, consumer: string, ref: ResourceRef, version: number, now: string): Promise<void> {
    await tx.query(
      `UPDATE ${this.table} SET state = 'superseded', superseded_by = ?, superseded_at = ?, latest_version = ?, next_attempt_at = NULL WHERE ${this.key} = ? AND resource_type = ? AND resource_id = ? AND state = 'failed'`,
      [version, now, version, consumer, ref.resourceType, ref.id],
    );
  }

  /** The failed version itself was applied (a retry): the letter is gone. */
  async clear(tx: FeedTx, consumer: string, ref: ResourceRef): Promise<void> {
    await tx.query(`DELETE FROM ${this.table} WHERE ${this.key} = ? AND resource_type = ? AND resource_id = ?`, [
      consumer,
      ref.resourceType,
      ref.id,
    ]);
  }

  /** Every letter of the consumer (a rebuild starts over). */
  async clearAll(tx: FeedTx, consumer: string): Promise<void> {
    await tx.query(`DELETE FROM ${this.table} WHERE ${this.key} = ?`, [consumer]);
  }

  private toLetter(r: LetterRow): FeedDeadLetter {
    const num = (v: string | number | null | undefined) => Number(v);
    const text = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
    return {
      consumer: String(r[this.key]),
      resourceType: String(r.resource_type),
      resourceId: String(r.resource_id),
      failedVersion: num(r.failed_version),
      latestVersion: num(r.latest_version),
      seq: num(r.seq),
      error: String(r.error),
      attempts: num(r.attempts),
      nextAttemptAt: text(r.next_attempt_at),
      firstFailedAt: String(r.first_failed_at),
      lastFailedAt: String(r.last_failed_at),
      state: r.state === 'superseded' ? 'superseded' : 'failed',
      supersededBy: r.superseded_by === null || r.superseded_by === undefined ? null : num(r.superseded_by),
      supersededAt: text(r.superseded_at),
    };
  }
}
