import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import {
  Mutex,
  type SqlClient,
  type SqlExecutor,
  type SqlResult,
  type SqlRow,
  type SqlStatement,
} from './sql-client.js';

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
 * A SqlClient over an embedded PGlite. PGlite is one connection: every statement and transaction
 * goes through one FIFO mutex so that concurrent callers never interleave inside a transaction.
 * Code running inside a transaction of this client (and awaiting it) that calls the client again — a change-feed
 * consumer whose state is in the same PGlite reading the store within its batch — runs on that transaction
 * instead of waiting for the mutex it holds (which would never be released).
 */
export function pgliteClient(db: PGlite, description: string): SqlClient {
  const mutex = new Mutex();
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
      return tx ? tx.query<R>(statement) : mutex.run(() => direct.query<R>(statement));
    },
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
      const tx = current();
      if (tx) return fn(tx);
      return mutex.run(() =>
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
      return tx?.exec ? tx.exec(sql) : mutex.run(async () => void (await db.exec(sql)));
    },
    close: () => mutex.run(() => db.close()),
  };
}
