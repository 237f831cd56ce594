import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlResult, SqlRow, SqlStatement } from './sql-client.js';
import { BULK_BYTES, StatementQueue, statementBytes } from './pglite-queue.js';

function executor(target: PGlite | Transaction): SqlExecutor {
  return {
    async query<R extends SqlRow>(statement: SqlStatement): Promise<SqlResult<R>> {
      const result = await target.query<R>(statement.text, statement.values ?? []);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    exec: async (sql: string) => void (await target.exec(sql)),
  };
}

type Open = { tx: SqlExecutor; open: boolean };

/**
 * A SqlClient over an embedded PGlite. PGlite is one connection: every statement and transaction goes through one
 * queue (pglite-queue.ts) so that concurrent callers never interleave inside a transaction; short statements (reads,
 * single-resource writes, transactions) are served before bulk ones (a whole bundle's write, DDL, CHECKPOINT), so a
 * lone request does not wait behind every bundle a load has queued.
 * Code running inside a transaction of this client (and awaiting it) that calls the client again — a change-feed
 * consumer whose state is in the same PGlite reading the store within its batch — runs on that transaction
 * instead of waiting for the queue it holds (which would never be released).
 */
export function pgliteClient(db: PGlite, description: string): SqlClient {
  const queue = new StatementQueue();
  // NILECARE_PGLITE_QUEUE=fifo: every statement in arrival order (the behaviour before pglite-queue.ts), to compare
  const fifo = process.env['NILECARE_PGLITE_QUEUE'] === 'fifo';
  const direct = executor(db);
  const inside = new AsyncLocalStorage<Open>();
  const current = () => {
    const open = inside.getStore();
    return open?.open ? open.tx : undefined;
  };
  return {
    description,
    isServer: false,
    query: <R extends SqlRow>(statement: SqlStatement) => {
      const tx = current();
      if (tx) return tx.query<R>(statement);
      const bulk = !fifo && statementBytes(statement.text, statement.values) > BULK_BYTES;
      return queue.run(() => direct.query<R>(statement), bulk);
    },
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
      const tx = current();
      if (tx) return fn(tx);
      return queue.run(() =>
        db.transaction(async (t) => {
          const open: Open = { tx: executor(t), open: true };
          try {
            return await inside.run(open, () => fn(open.tx));
          } finally {
            open.open = false;
          }
        }),
      );
    },
    exec: (sql: string) => {
      const tx = current();
      return tx?.exec ? tx.exec(sql) : queue.run(async () => void (await db.exec(sql)), !fifo);
    },
    close: () => queue.run(() => db.close(), !fifo),
  };
}
