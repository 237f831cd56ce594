import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from '../connection.js';
import { databaseUrl, serverUrl } from '../server-urls.js';

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

/**
 * Creates an empty, uniquely named database (`<logicalName>_t<random>`) on the local MariaDB/MySQL
 * or PostgreSQL server (MYSQL_URL / POSTGRES_URL), for tests that migrate the schema of logical
 * database `logicalName` into it with migrateDatabase({ engine, database: logicalName, connection: { url } }).
 * `drop()` removes it (safe to call twice).
 */
export async function createTestDatabase(engine: Engine, logicalName: string): Promise<TestDatabase> {
  if (!/^[a-z][a-z0-9_]*$/.test(logicalName)) throw new Error(`invalid logical database name: ${logicalName}`);
  const name = `${logicalName}_t${randomBytes(5).toString('hex')}`.slice(0, 63);
  const admin = await adminQuery(engine);
  await admin(
    engine === 'mysql'
      ? `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`
      : `CREATE DATABASE "${name}"`,
  );
  let dropped = false;
  return {
    name,
    url: databaseUrl(engine, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      const q = await adminQuery(engine);
      await q(
        engine === 'mysql' ? `DROP DATABASE IF EXISTS \`${name}\`` : `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`,
      );
    },
  };
}

/** One-shot admin statement on the server (MySQL: no database; PostgreSQL: the `postgres` database). */
async function adminQuery(engine: Engine): Promise<(sql: string) => Promise<void>> {
  return async (sql: string) => {
    switch (engine) {
      case 'mysql': {
        const u = new URL(serverUrl('mysql'));
        u.pathname = '/';
        const conn = await mysql.createConnection({ uri: u.toString() });
        try {
          await conn.query(sql);
        } finally {
          await conn.end();
        }
        return;
      }
      case 'postgres': {
        const client = new pg.Client({ connectionString: databaseUrl('postgres', 'postgres') });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
        return;
      }
      default: {
        const never: never = engine;
        throw new Error(`unknown engine ${String(never)}`);
      }
    }
  };
}
