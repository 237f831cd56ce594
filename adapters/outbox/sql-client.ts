/**
 * The little SQL surface the writer and the dispatcher need, over mysql2 (MariaDB/MySQL) and pg (PostgreSQL).
 * Statements use `?` placeholders; they become `$1…` on PostgreSQL.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';

export type Dialect = 'mysql' | 'postgres';

export type SqlTx = {
  dialect: Dialect;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
};

export type SqlClient = SqlTx & {
  url: string;
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export function dialectOf(url: string): Dialect {
  if (/^mysql|^mariadb/.test(url)) return 'mysql';
  if (/^postgres/.test(url)) return 'postgres';
  throw new Error(`unsupported database url ${url.replace(/\/\/[^@]*@/, '//***@')} (mysql:// or postgres://)`);
}

function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Quotes an identifier (table or column names come from the mappings, never from FHIR content). */
export function ident(dialect: Dialect, name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad identifier ${name}`);
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

export async function openSqlClient(url: string, poolSize = 4): Promise<SqlClient> {
  const dialect = dialectOf(url);
  if (dialect === 'mysql') {
    const pool = mysql.createPool({
      uri: url.replace(/^mariadb/, 'mysql'),
      connectionLimit: poolSize,
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // Sessions in UTC whatever the server's default zone: DATETIME/TIMESTAMP text is written and read as UTC.
    // (The SET is queued on the new connection before anything the pool hands it out for.)
    pool.on('connection', (c) => {
      void c.query(`SET time_zone = '+00:00'`);
    });
    const run = async (conn: mysql.Pool | mysql.PoolConnection, sql: string, params: unknown[] = []) => {
      const [rows] = await conn.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as any[];
    };
    return {
      dialect,
      url,
      query: (sql, params) => run(pool, sql, params),
      async transaction(fn) {
        const conn = await pool.getConnection();
        return inTransaction(conn, 'START TRANSACTION', () =>
          fn({ dialect, query: (sql, params) => run(conn, sql, params) }),
        );
      },
      close: () => pool.end(),
    };
  }
  // Dates and timestamps as text (rows compare the same on both servers); parsers local to this pool.
  const asText = new Set([1082, 1114, 1184]);
  const types = {
    getTypeParser: (oid: number, format?: any) =>
      asText.has(oid) ? (s: string) => s : pg.types.getTypeParser(oid, format),
  };
  // Sessions in UTC whatever the server's or database's default zone (Africa/Khartoum …): every write states UTC.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: types, options: '-c TimeZone=UTC' });
  pool.on('error', () => undefined); // a dropped idle connection is reported by the next query
  const run = async (c: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = []) =>
    (await c.query(toPg(sql), params)).rows;
  return {
    dialect,
    url,
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      const client = await pool.connect();
      return inTransaction(client, 'BEGIN', () => fn({ dialect, query: (sql, params) => run(client, sql, params) }));
    },
    close: () => pool.end(),
  };
}

/** Runs `fn` between `begin` and COMMIT on one pooled connection (ROLLBACK when it throws), then releases it. */
async function inTransaction<T>(
  conn: { query(sql: string): Promise<unknown>; release(): void },
  begin: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    await conn.query(begin);
    const result = await fn();
    await conn.query('COMMIT');
    return result;
  } catch (e) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

/** Connection-level failures (server down, connection lost, deadlock): retry the batch later, do not dead-letter. */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; message?: string };
  const codes = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'PROTOCOL_CONNECTION_LOST',
    'ER_LOCK_DEADLOCK',
    'ER_LOCK_WAIT_TIMEOUT',
    '40001',
    '40P01',
    '57P01',
    '08006',
    '08003',
    '08001',
  ];
  return (
    codes.includes(e?.code ?? '') ||
    /Connection terminated|connection is in closed state|Pool is closed/i.test(e?.message ?? '')
  );
}
