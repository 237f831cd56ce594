import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import type { SqlClient, SqlExecutor, SqlResult, SqlRow, SqlStatement } from './sql-client.js';
import { BULK_BYTES, StatementQueue, statementBytes } from './pglite-queue.js';

/** What this client needs of a PGlite (or a transaction of one): met by PGlite itself and by pglite-thread.ts. */
export type PgliteTarget = {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
};
export type PgliteDatabase = PgliteTarget & {
  transaction<T>(fn: (tx: PgliteTarget) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

function executor(target: PgliteTarget): SqlExecutor {
  return {
    async query<R extends SqlRow>(statement: SqlStatement): Promise<SqlResult<R>> {
      const result = await target.query(statement.text, statement.values ?? []);
      return { rows: result.rows as R[], rowCount: result.affectedRows ?? result.rows.length };
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
export function pgliteClient(db: PgliteDatabase, description: string): SqlClient {
  const queue = new StatementQueue();
  // NILECARE_PGLITE_QUEUE=fifo: every statement in arrival order (the behaviour before pglite-queue.ts), to compare
  const fifo = process.env['NILECARE_PGLITE_QUEUE'] === 'fifo';
  // NILECARE_PGLITE_QUEUE_STATS=<file>: the queue's waits and run times per kind of work, written there every 2 s
  // and at close (a diagnostic for benches: bench/pglite-lone-request.ts)
  const statsFile = process.env['NILECARE_PGLITE_QUEUE_STATS'];
  const writeStats = () => {
    if (statsFile) writeFileSync(statsFile, JSON.stringify({ at: new Date().toISOString(), ...queue.timings() }));
  };
  const statsTimer = statsFile ? setInterval(writeStats, 2000) : undefined;
  statsTimer?.unref();
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
      return queue.run(
        () =>
          db.transaction(async (t) => {
            const open: Open = { tx: executor(t), open: true };
            try {
              return await inside.run(open, () => fn(open.tx));
            } finally {
              open.open = false;
            }
          }),
        false,
        'transaction',
      );
    },
    exec: (sql: string) => {
      const tx = current();
      if (tx?.exec) return tx.exec(sql);
      // named by its first word in the queue's timings (CHECKPOINT, ANALYZE, CREATE …)
      const kind = `exec ${/^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? ''}`.trim();
      return queue.run(async () => void (await db.exec(sql)), !fifo, kind);
    },
    close: async () => {
      clearInterval(statsTimer);
      await queue.run(() => db.close(), !fifo, 'close');
      writeStats();
    },
  };
}
