import pg from 'pg';
import type { SqlClient, SqlExecutor, SqlResult, SqlRow, SqlStatement } from './sql-client.js';
import { LockTimeoutError, QueryTimeoutError } from '../resource-store.js';
import { LOCK_NOT_AVAILABLE, lockStatements } from './advisory-locks.js';

/** SQLSTATE of a statement cancelled by pg_cancel_backend / statement_timeout. */
const QUERY_CANCELED = '57014';

// int8 (bigint) as JS numbers: the store keeps epoch milliseconds and outbox seqs there, far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

/**
 * A statement on a connection of the pool, given back to the pool whatever the statement's outcome. `pool.query` gave a
 * connection back with the statement's error (`release(err)`), which closes it: every SQL error — the write's version
 * conflict (FH409) is one by design, tens per HL7 bench run — cost a new PostgreSQL backend that parsed and planned
 * every prepared statement again (103 backends in one 2,000-message run; helper hl7). An SQL error leaves the
 * connection usable (its implicit transaction is rolled back); one that can no longer be used (lost, ended) is not
 * `_queryable` and pg-pool removes it on release anyway.
 */
async function onPoolConnection<R extends SqlRow>(pool: pg.Pool, statement: SqlStatement): Promise<SqlResult<R>> {
  const connection = await pool.connect();
  try {
    return await executor(connection).query<R>(statement);
  } finally {
    connection.release();
  }
}

function executor(target: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<R extends SqlRow>(statement: SqlStatement): Promise<SqlResult<R>> {
      if (target instanceof pg.Pool) return onPoolConnection<R>(target, statement);
      const result = await target.query<R>(
        statement.name
          ? { name: statement.name, text: statement.text, values: statement.values }
          : { text: statement.text, values: statement.values },
      );
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * pg_cancel_backend on a connection of its own, outside the pool: every pooled connection may be busy — with
 * PG_POOL_SIZE=1 the only one is the statement's own, held until the cancel is done — and a cancel that waited for
 * one never ran, nor ended: the statement's connection was never given back (a pool of one then hung for good). It
 * costs a backend's start, once per search past its budget.
 */
async function cancelBackend(options: pg.PoolConfig, pid: number | undefined): Promise<void> {
  const client = new pg.Client(options);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A SqlClient over a pg.Pool (PostgreSQL server). Advisory locks use a small pool of their own (advisory-locks.ts). */
export function pgClient(pool: pg.Pool, description: string): SqlClient {
  const direct = executor(pool);
  let lockPool: pg.Pool | undefined;
  const locks = (): pg.Pool => {
    if (!lockPool) {
      lockPool = new pg.Pool({ ...pool.options, max: Math.max(4, Math.ceil((pool.options.max ?? 10) / 2)) });
      lockPool.on('error', () => undefined);
    }
    return lockPool;
  };
  return {
    description,
    isServer: true,
    // eslint-disable-next-line @typescript-eslint/unbound-method -- executor() returns arrow functions, no `this`
    query: direct.query,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      try {
        await connection.query('BEGIN');
        const result = await fn(executor(connection));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },
    async queryWithTimeout<R extends SqlRow>(statement: SqlStatement, timeoutMs: number): Promise<SqlResult<R>> {
      const connection = await pool.connect();
      const pid = (connection as unknown as { processID?: number }).processID;
      let cancelled: Promise<unknown> | undefined;
      // Past the budget the server stops the statement (pg_cancel_backend from another connection): no work is
      // left running on the database. The connection is then discarded rather than reused.
      const timer = setTimeout(() => {
        cancelled = cancelBackend(pool.options, pid).catch(() => undefined);
      }, timeoutMs);
      try {
        return await executor(connection).query<R>(statement);
      } catch (error) {
        if (cancelled && (error as { code?: string }).code === QUERY_CANCELED) throw new QueryTimeoutError(timeoutMs);
        throw error;
      } finally {
        clearTimeout(timer);
        if (cancelled) await cancelled;
        connection.release(cancelled ? true : undefined);
      }
    },
    async withAdvisoryLocks<T>(ids: readonly string[], waitMs: number, fn: () => Promise<T>): Promise<T> {
      const connection = await locks().connect();
      let broken = false;
      try {
        try {
          await connection.query(lockStatements(ids, waitMs));
        } catch (error) {
          await connection.query('ROLLBACK').catch(() => (broken = true));
          if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new LockTimeoutError(waitMs);
          throw error;
        }
        try {
          return await fn();
        } finally {
          // releases the locks; a connection that cannot end its transaction is dropped (which releases them too)
          await connection.query('COMMIT').catch(() => (broken = true));
        }
      } finally {
        connection.release(broken ? true : undefined);
      }
    },
    async exec(sql: string): Promise<void> {
      await pool.query(sql);
    },
    async close(): Promise<void> {
      await Promise.all([pool.end(), lockPool?.end()]);
    },
  };
}
