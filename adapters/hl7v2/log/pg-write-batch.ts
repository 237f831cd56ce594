/**
 * Group commit for the PostgreSQL message log's writes whose result is not needed (outcomes, log lines): the twin of
 * mysql-write-batch.ts. Statements queued while a batch is being committed form the next batch, committed in one
 * transaction (one WAL flush for all the messages in flight); batches one after the other, statements in the order
 * they were queued, so that a caller awaiting its last write knows every earlier write is durable too. A batch that
 * fails is rolled back and its statements are run again one by one, so one bad statement fails only its own caller.
 */
import type { StateDb } from '../../../server/state/state-db.js';

type Op = {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
};

export class PgWriteBatch {
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: StateDb,
    private readonly maxStatements = 500,
  ) {}

  /** Queues a statement (`?` placeholders); resolves when it is committed. */
  run(sql: string, params: readonly unknown[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ sql, params, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    await Promise.resolve(); // writes queued in the same tick as the first one join its batch
    while (this.queue.length > 0) {
      const ops = this.queue.splice(0, this.maxStatements);
      try {
        if (ops.length === 1) await this.db.query(ops[0]!.sql, ops[0]!.params);
        else
          await this.db.transaction(async (tx) => {
            for (const op of ops) await tx.query(op.sql, op.params);
          });
        for (const op of ops) op.resolve();
      } catch {
        for (const op of ops) {
          try {
            await this.db.query(op.sql, op.params);
            op.resolve();
          } catch (err) {
            op.reject(err);
          }
        }
      }
    }
  }
}
