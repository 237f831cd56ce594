/**
 * The little SQL surface the PostgreSQL store needs, implemented twice: over a `pg.Pool`
 * (pg-client.ts) and over an embedded PGlite (pglite-client.ts). All SQL in this folder is
 * written once and runs on both.
 */

export type SqlRow = Record<string, unknown>;

export type SqlResult<R extends SqlRow = SqlRow> = { rows: R[]; rowCount: number };

/** One statement with bind parameters. `name` lets the pg driver keep it prepared per connection. */
export type SqlStatement = { text: string; values?: unknown[]; name?: string };

export interface SqlExecutor {
  query<R extends SqlRow = SqlRow>(statement: SqlStatement): Promise<SqlResult<R>>;
  /** Several statements without parameters (a migration script), where one `query` cannot take them (PGlite). */
  exec?(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly description: string;
  /** Runs `fn` inside BEGIN … COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /** True when the client runs a real PostgreSQL server (EXPLAIN estimates, pool concurrency). */
  readonly isServer: boolean;
  /**
   * Runs one statement that the server cancels after `timeoutMs` (QueryTimeoutError). Absent where a statement
   * cannot be cancelled from outside (embedded PGlite runs in this thread): callers then use `query`.
   */
  queryWithTimeout?<R extends SqlRow = SqlRow>(statement: SqlStatement, timeoutMs: number): Promise<SqlResult<R>>;
  /**
   * Runs `fn` holding a transaction-scoped advisory lock on every id (ascending, see advisory-locks.ts), released
   * after `fn` settled; LockTimeoutError past `waitMs`. Absent on embedded PGlite: one process owns the folder
   * (folder-lock.ts), so the store's in-process locks are the whole guarantee there.
   */
  withAdvisoryLocks?<T>(ids: readonly string[], waitMs: number, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A FIFO mutex: one holder at a time, in arrival order. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
