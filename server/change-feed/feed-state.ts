/**
 * A consumer's durable cursor in the FHIR store's change log, kept in the consumer's own database beside its
 * effects, so that cursor and effects commit together (a crash mid-batch rolls both back: the batch is applied
 * again, never lost, never twice). One row per consumer: key, cursor_seq (last change consumed), a count of effects
 * and the lastUpdated of the change at the cursor. The row is locked FOR UPDATE for the length of a batch: one
 * consumer of a name at a time, across nodes. The same SQL runs on MySQL/MariaDB and PostgreSQL.
 */

export type FeedDialect = 'mysql' | 'postgres';

/** A connection inside a transaction (statements with `?` placeholders). */
export type FeedTx = {
  dialect: FeedDialect;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
};

/** A database the consumer keeps its state in. */
export type FeedDb = FeedTx & {
  transaction<T>(fn: (tx: FeedTx) => Promise<T>): Promise<T>;
};

/** Where the cursor rows are: e.g. projection_state (projection, delivered), hl7_outbound_state (name, planned). */
export type CursorTable = { table: string; key: string; count: string };

export type CursorRow = { cursor: number; count: number; lastChangeAt: string | null };

const IDENT = /^[a-z_][a-z0-9_]*$/;

export class SqlFeedCursor {
  constructor(
    private readonly t: CursorTable,
    readonly name: string,
    /** Where a consumer starts when its row does not exist yet (default 0: the whole log). */
    private readonly initial: () => Promise<number> = async () => 0,
  ) {
    for (const n of [t.table, t.key, t.count]) if (!IDENT.test(n)) throw new Error(`bad identifier ${n}`);
  }

  /** Locks the consumer's row until `tx` ends (creating it at the initial position) and returns the cursor. */
  async lock(tx: FeedTx): Promise<number> {
    const { table, key } = this.t;
    const select = () =>
      tx.query<{ cursor_seq: string | number }>(`SELECT cursor_seq FROM ${table} WHERE ${key} = ? FOR UPDATE`, [
        this.name,
      ]);
    let rows = await select();
    if (!rows[0]) {
      const start = await this.initial();
      await tx.query(
        tx.dialect === 'mysql'
          ? `INSERT IGNORE INTO ${table} (${key}, cursor_seq) VALUES (?, ?)`
          : `INSERT INTO ${table} (${key}, cursor_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`,
        [this.name, start],
      );
      rows = await select();
    }
    const row = rows[0];
    if (!row) throw new Error(`no cursor row ${this.name} in ${table}`);
    return Number(row.cursor_seq);
  }

  /** Moves the cursor (inside the transaction that holds the lock) and adds `count` effects. */
  async advance(tx: FeedTx, seq: number, count: number, lastChangeAt: string | undefined): Promise<void> {
    const { table, key, count: c } = this.t;
    await tx.query(
      `UPDATE ${table} SET cursor_seq = ?, ${c} = ${c} + ?, last_change_at = COALESCE(?, last_change_at) WHERE ${key} = ?`,
      [seq, count, lastChangeAt ?? null, this.name],
    );
  }

  /** Adds effects without moving the cursor (a dead letter delivered by a retry). */
  async count(tx: FeedTx, count: number): Promise<void> {
    const { table, key, count: c } = this.t;
    await tx.query(`UPDATE ${table} SET ${c} = ${c} + ? WHERE ${key} = ?`, [count, this.name]);
  }

  /** The row without locking it; undefined before the consumer's first batch. */
  async read(db: FeedTx): Promise<CursorRow | undefined> {
    const { table, key, count } = this.t;
    const rows = await db.query<{ cursor_seq: string | number; n: string | number; last_change_at: string | null }>(
      `SELECT cursor_seq, ${count} AS n, last_change_at FROM ${table} WHERE ${key} = ?`,
      [this.name],
    );
    const r = rows[0];
    return r ? { cursor: Number(r.cursor_seq), count: Number(r.n), lastChangeAt: r.last_change_at ?? null } : undefined;
  }
}
