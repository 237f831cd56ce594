/**
 * Group commit for the message log's writes whose result is not needed (outcomes, log lines): callers queue a
 * statement and get a promise that resolves once it is committed. Statements queued while a batch is being
 * committed form the next batch: one round trip (START TRANSACTION; …; COMMIT as one multi-statement) and one
 * redo-log flush for all the messages in flight, instead of one per statement. Batches are committed one after the
 * other, statements in the order they were queued, so that a caller awaiting its last write knows every earlier
 * write is durable too. A batch that fails is rolled back and its statements are retried one by one, so that one
 * bad statement only fails its own caller. Log lines (INSERT … VALUES of one table) are merged into one INSERT.
 */
import mysql from 'mysql2/promise';
import type { SqlValue } from 'mysql2';

type Op = {
  readonly sql: string;
  readonly rowOf?: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
};

export class MysqlWriteBatch {
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;

  /** `pool` must have been created with multipleStatements: true (all values are escaped by mysql.format here). */
  constructor(
    private readonly pool: mysql.Pool,
    private readonly maxStatements = 1000,
  ) {}

  /** Queues a statement; resolves when it is committed. */
  run(sql: string, values: readonly SqlValue[]): Promise<void> {
    return this.push({ sql: mysql.format(sql, [...values]) });
  }

  /** Queues one row for `INSERT INTO <into> VALUES …` (rows of a batch for the same `into` share one INSERT). */
  insertRow(into: string, values: readonly SqlValue[]): Promise<void> {
    return this.push({ sql: mysql.format('(?)', [[...values]]), rowOf: into });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private push(op: Omit<Op, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...op, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    });
  }

  private async flush(): Promise<void> {
    await Promise.resolve(); // writes queued in the same tick as the first one join its batch
    while (this.queue.length > 0) {
      const ops = this.queue.splice(0, this.maxStatements);
      try {
        await this.commit(statements(ops));
        for (const op of ops) op.resolve();
      } catch {
        for (const op of ops) {
          try {
            await this.pool.query(statements([op])[0]!);
            op.resolve();
          } catch (err) {
            op.reject(err);
          }
        }
      }
    }
  }

  private async commit(sqls: string[]): Promise<void> {
    if (sqls.length === 1) {
      await this.pool.query(sqls[0]!); // autocommit: one statement is its own transaction
      return;
    }
    const conn = await this.pool.getConnection();
    let broken = false;
    try {
      await conn.query(['START TRANSACTION', ...sqls, 'COMMIT'].join(';\n'));
    } catch (err) {
      // A failed statement stops the multi-statement with the transaction open: roll it back on this connection.
      await conn.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }
}

/** The batch's statements in order; rows of the same INSERT target merged into one statement at the first's place. */
function statements(ops: readonly Op[]): string[] {
  const out: string[] = [];
  const rows = new Map<string, string[]>();
  for (const op of ops) {
    if (op.rowOf === undefined) {
      out.push(op.sql);
      continue;
    }
    let list = rows.get(op.rowOf);
    if (!list) {
      list = [];
      rows.set(op.rowOf, list);
      out.push(`\u0000${op.rowOf}`); // placeholder, filled below
    }
    list.push(op.sql);
  }
  return out.map((s) =>
    s.startsWith('\u0000') ? `INSERT INTO ${s.slice(1)} VALUES ${rows.get(s.slice(1))!.join(', ')}` : s,
  );
}
