/**
 * The SQL surface of the state the server owns beside FHIR (SMART users, refresh tokens, audit rows, login attempts;
 * the embedded key-value store): one port, two dialects. `mysql` is the production layout of the schema reference
 * (nilecare_auth on MySQL/MariaDB, AUTH_MYSQL_URL); `postgres` is the same tables in PostgreSQL dialect
 * (migrations/embedded/postgres/nilecare_auth) inside the FHIR store's own PostgreSQL — the embedded PGlite by default — in a
 * schema of their own. Statements are written with `?` placeholders; callers pick the dialect's SQL where the two
 * differ (functions, upserts), through the fragments below.
 */
import type { Pool, ResultSetHeader } from 'mysql2/promise';
import type { SqlClient, SqlExecutor } from '../store/postgres/sql-client.js';

export type Dialect = 'mysql' | 'postgres';
export type StateRow = Record<string, unknown>;
export type StateResult<R> = { rows: R[]; affectedRows: number };

export interface StateExecutor {
  query<R extends StateRow = StateRow>(sql: string, params?: readonly unknown[]): Promise<StateResult<R>>;
}

export interface StateDb extends StateExecutor {
  readonly dialect: Dialect;
  /** Where the rows are, for logs (no password). */
  readonly description: string;
  /** Runs `fn` in one transaction; rolled back when it throws. */
  transaction<T>(fn: (tx: StateExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQL fragments that differ between the dialects (times are UTC, without time zone, in both). */
export function sqlOf(dialect: Dialect) {
  return dialect === 'mysql'
    ? {
        now: 'UTC_TIMESTAMP()',
        /** now + ? seconds */
        nowPlusSeconds: 'UTC_TIMESTAMP() + INTERVAL ? SECOND',
        nowMinusSeconds: 'UTC_TIMESTAMP() - INTERVAL ? SECOND',
        /** whole seconds from now until the column's time */
        secondsUntil: (column: string) => `TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), ${column})`,
        quote: (name: string) => `\`${name}\``,
      }
    : {
        now: "(now() AT TIME ZONE 'UTC')",
        nowPlusSeconds: "(now() AT TIME ZONE 'UTC') + make_interval(secs => ?)",
        nowMinusSeconds: "(now() AT TIME ZONE 'UTC') - make_interval(secs => ?)",
        secondsUntil: (column: string) => `floor(extract(epoch FROM ${column} - (now() AT TIME ZONE 'UTC')))::int`,
        quote: (name: string) => `"${name}"`,
      };
}

/** A foreign key refused the row (MySQL errno 1452, PostgreSQL SQLSTATE 23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1452 || e?.code === '23503';
}

/** A unique key refused the row (MySQL errno 1062, PostgreSQL SQLSTATE 23505). */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1062 || e?.code === '23505';
}

export function mysqlStateDb(pool: Pool, description: string): StateDb {
  const run = async <R>(
    target: Pick<Pool, 'execute'>,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<StateResult<R>> => {
    const [result] = await target.execute(sql, params as Parameters<Pool['execute']>[1]);
    return Array.isArray(result)
      ? { rows: result as R[], affectedRows: 0 }
      : { rows: [], affectedRows: (result as ResultSetHeader).affectedRows };
  };
  return {
    dialect: 'mysql',
    description,
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        const result = await fn({ query: (sql, params) => run(connection, sql, params) });
        await connection.commit();
        return result;
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}

/** `?` placeholders → `$1, $2 …` (the state SQL has no `?` inside literals and uses no jsonb `?` operator). */
export function toDollarPlaceholders(sql: string): string {
  let k = 0;
  return sql.replace(/\?/g, () => `$${++k}`);
}

/**
 * The state tables in `schema` of a PostgreSQL store (PGlite or server). Each statement runs in a transaction that
 * sets the search path first, so the unqualified table names of the shared SQL find this schema and the store's own
 * statements on the same connection never see it. `close` leaves the client open: the store owns it.
 */
export function postgresStateDb(client: SqlClient, schema: string, description: string): StateDb {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const inSchema = async <T>(tx: SqlExecutor, fn: (e: StateExecutor) => Promise<T>): Promise<T> => {
    await tx.query({ text: `SET LOCAL search_path TO ${schema}, public` });
    return fn({
      query: async <R extends StateRow>(sql: string, params: readonly unknown[] = []): Promise<StateResult<R>> => {
        const result = await tx.query<R>({ text: toDollarPlaceholders(sql), values: [...params] });
        return { rows: result.rows, affectedRows: result.rowCount };
      },
    });
  };
  return {
    dialect: 'postgres',
    description,
    query: (sql, params) => client.transaction((tx) => inSchema(tx, (e) => e.query(sql, params))),
    transaction: (fn) => client.transaction((tx) => inSchema(tx, fn)),
    close: async () => undefined,
  };
}
