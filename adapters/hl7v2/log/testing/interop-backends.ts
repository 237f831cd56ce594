/**
 * nilecare_interop on each engine the server keeps it on, for tests that run the same cases against all of them:
 * MySQL/MariaDB (INTEROP_MYSQL_URL; the local server), PostgreSQL (the embedded layout in the store's database on a
 * PostgreSQL server) and PGlite (the embedded default, in memory). Each opens a fresh migrated schema, the message
 * log on it, and a `sql` function (`?` placeholders) for the test's own look-ups and set-up rows.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../../server/migrate/migrate.js';
import { mysqlMissing } from '../../../../server/testing/mysql-missing.js';
import { EMBEDDED_MIGRATIONS_ROOT, openStoreMigrationSession } from '../../../../server/state/migration-session.js';
import { postgresStateDb, type StateDb } from '../../../../server/state/state-db.js';
import { openPgliteClient } from '../../../../server/store/postgres/open-postgres-store.js';
import { pgClient } from '../../../../server/store/postgres/pg-client.js';
import type { SqlClient } from '../../../../server/store/postgres/sql-client.js';
import type { MessageLog } from '../message-log.js';
import { MysqlMessageLog } from '../mysql-message-log.js';
import { PgMessageLog } from '../pg-message-log.js';

export type InteropRows = Record<string, any>[];

export type InteropFixture = {
  readonly log: MessageLog & { close(): Promise<void> };
  /** A statement on the schema (`?` placeholders); rows for a SELECT. */
  sql(text: string, params?: unknown[]): Promise<InteropRows>;
  /** The migrated schema as the PostgreSQL twin sees it (undefined on MySQL). */
  readonly stateDb?: StateDb;
  /** MySQL URL of the database (undefined on PostgreSQL). */
  readonly mysqlUrl?: string;
  close(): Promise<void>;
};

export type InteropBackend = {
  readonly name: 'mysql' | 'postgres' | 'pglite';
  /** A reason to skip when the engine is not there. */
  readonly skip: string | false;
  open(): Promise<InteropFixture>;
};

async function postgresMissing(): Promise<string | false> {
  const probe = await createTestDatabase('postgres', 'probe').catch((e: unknown) => e);
  if (probe instanceof Error) return `no PostgreSQL server here: ${probe.message}`;
  await (probe as TestDatabase).drop();
  return false;
}

/** The embedded layout migrated into `client` (schema nilecare_interop) and the PostgreSQL message log on it. */
async function embeddedFixture(client: SqlClient, cleanup: () => Promise<void>): Promise<InteropFixture> {
  await migrateDatabase({
    engine: 'postgres',
    database: 'nilecare_interop',
    connection: {},
    session: () => openStoreMigrationSession(client, 'nilecare_interop'),
    migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
  });
  const stateDb = postgresStateDb(client, 'nilecare_interop', `nilecare_interop in ${client.description}`);
  const log = new PgMessageLog(stateDb);
  return {
    log,
    stateDb,
    sql: async (text, params = []) => (await stateDb.query(text, params)).rows,
    async close() {
      await log.close();
      await cleanup();
    },
  };
}

export async function interopBackends(): Promise<InteropBackend[]> {
  return [
    {
      name: 'mysql',
      skip: await mysqlMissing(),
      async open() {
        const db = await createTestDatabase('mysql', 'nilecare_interop');
        await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
        const log = MysqlMessageLog.open(db.url);
        const conn = await mysql.createConnection({ uri: db.url, dateStrings: true });
        return {
          log,
          mysqlUrl: db.url,
          sql: async (text, params = []) => {
            const [rows] = await conn.query(text, params);
            return Array.isArray(rows) ? (rows as InteropRows) : [];
          },
          async close() {
            await conn.end();
            await log.close();
            await db.drop();
          },
        };
      },
    },
    {
      name: 'postgres',
      skip: await postgresMissing(),
      async open() {
        const db = await createTestDatabase('postgres', 'nilecare_interop');
        const pool = new pg.Pool({ connectionString: db.url, max: 6 });
        const client = pgClient(pool, `postgresql (${db.name})`);
        return embeddedFixture(client, async () => {
          await client.close();
          await db.drop();
        });
      },
    },
    {
      name: 'pglite',
      skip: false,
      async open() {
        const client = await openPgliteClient();
        return embeddedFixture(client, () => client.close());
      },
    },
  ];
}
