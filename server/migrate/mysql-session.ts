import mysql from 'mysql2/promise';
import { ScriptError, type ConnectionOptions, type MigrationSession } from './connection.js';
import { splitMysqlScript } from './split-sql.js';

/** A MySQL 8 / MariaDB 10.11 session on one mysql2 connection. */
export async function openMysqlSession(
  options: ConnectionOptions,
  fallbackDatabase: string,
): Promise<MigrationSession> {
  const fromUrl = options.url ? new URL(options.url) : undefined;
  const database =
    decodeURIComponent(fromUrl?.pathname.replace(/^\//, '') ?? '') || options.database || fallbackDatabase;
  const conn = await mysql.createConnection({
    host: fromUrl?.hostname || options.host || '127.0.0.1',
    port: Number(fromUrl?.port || options.port || 3306),
    user: decodeURIComponent(fromUrl?.username ?? '') || options.user || 'root',
    password: decodeURIComponent(fromUrl?.password ?? '') || options.password || '',
    database,
    charset: 'utf8mb4_unicode_ci',
    multipleStatements: false,
    dateStrings: true,
    supportBigNumbers: true,
    timezone: 'Z',
  });
  // The same session behaviour on MySQL 8 and MariaDB 10.11 whatever the server's defaults:
  // MySQL 8's default sql_mode, UTC, and TIMESTAMP columns that get no implicit defaults.
  await conn.query(
    "SET time_zone = '+00:00', explicit_defaults_for_timestamp = ON, " +
      "sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
  );
  const session: MigrationSession = {
    engine: 'mysql',
    schemaName: database,
    databaseName: database,
    transactionalDdl: false,
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const [rows] = await conn.query(sql, params as unknown[]);
      return (Array.isArray(rows) ? rows : []) as T[];
    },
    async runScript(script, onStatement) {
      let statements;
      try {
        statements = splitMysqlScript(script);
      } catch (e) {
        throw new ScriptError(`cannot parse script: ${(e as Error).message}`, undefined, undefined, e);
      }
      for (const st of statements) {
        onStatement?.(st.line);
        try {
          await conn.query(st.sql);
        } catch (e) {
          throw new ScriptError(`line ${st.line}: ${(e as Error).message}`, st.line, st.sql, e);
        }
      }
    },
    begin: async () => void (await conn.query('START TRANSACTION')),
    commit: async () => void (await conn.query('COMMIT')),
    rollback: async () => void (await conn.query('ROLLBACK')),
    async tryLock(name, timeoutSeconds) {
      const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [name, timeoutSeconds]);
      return Number((rows as { got: number | null }[])[0]?.got) === 1;
    },
    async unlock(name) {
      await conn.query('SELECT RELEASE_LOCK(?)', [name]);
    },
    async currentUser() {
      const [rows] = await conn.query("SELECT SUBSTRING_INDEX(USER(), '@', 1) AS u");
      return String((rows as { u: string }[])[0]?.u ?? 'unknown');
    },
    close: () => conn.end(),
  };
  return session;
}
