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

/**
 * A SqlClient over an embedded PGlite. PGlite is one connection: every statement and transaction
 * goes through one FIFO mutex so that concurrent callers never interleave inside a transaction.
 */
export function pgliteClient(db: PGlite, description: string): SqlClient {
  const mutex = new Mutex();
  const direct = executor(db);
  return {
    description,
    isServer: false,
    query: <R extends SqlRow>(statement: SqlStatement) => mutex.run(() => direct.query<R>(statement)),
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => mutex.run(() => db.transaction((tx) => fn(executor(tx)))),
    exec: (sql: string) => mutex.run(async () => void (await db.exec(sql))),
    close: () => mutex.run(() => db.close()),
  };
}
