import pg from 'pg';
import { ScriptError, type ConnectionOptions, type MigrationSession } from './connection.js';

/** A PostgreSQL session on one pg client; migrations live in the `public` schema of the target database. */
export async function openPostgresSession(
  options: ConnectionOptions,
  fallbackDatabase: string,
): Promise<MigrationSession> {
  const client = new pg.Client(
    options.url
      ? { connectionString: options.url }
      : {
          host: options.host ?? '127.0.0.1',
          port: options.port ?? 5432,
          user: options.user ?? 'postgres',
          password: options.password,
          database: options.database ?? fallbackDatabase,
        },
  );
  await client.connect();
  client.on('error', () => {
    /* the connection dropped; the next query reports it */
  });
  await client.query("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  const toDollar = (sql: string) => {
    let k = 0;
    return sql.replace(/\?/g, () => `$${++k}`);
  };
  const session: MigrationSession = {
    engine: 'postgres',
    schemaName: 'public',
    databaseName: client.database ?? options.database ?? fallbackDatabase,
    transactionalDdl: true,
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const res = await client.query(toDollar(sql), params as unknown[]);
      return res.rows as T[];
    },
    async runScript(script, onStatement) {
      onStatement?.(1);
      try {
        // Simple-query protocol: the whole file in one round trip, inside the caller's transaction.
        await client.query(script);
      } catch (e) {
        const err = e as Error & { position?: string; where?: string };
        const pos = err.position ? Number(err.position) : undefined;
        const line = pos ? script.slice(0, pos).split('\n').length : undefined;
        const where = err.where ? ` (${err.where.split('\n')[0]})` : '';
        throw new ScriptError(`${line ? `line ${line}: ` : ''}${err.message}${where}`, line, undefined, e);
      }
    },
    begin: async () => void (await client.query('BEGIN')),
    commit: async () => void (await client.query('COMMIT')),
    rollback: async () => void (await client.query('ROLLBACK')),
    async tryLock(name, timeoutSeconds) {
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const res = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [name]);
        if (res.rows[0]?.got === true) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async unlock(name) {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    },
    async currentUser() {
      const res = await client.query<{ u: string }>('SELECT current_user AS u');
      return String(res.rows[0]?.u ?? 'unknown');
    },
    close: () => client.end(),
  };
  return session;
}
