/**
 * A test server over the PostgreSQL store of a fresh database of the local server, with a pool of one connection:
 * every statement runs on one session, whose prepared statements (pg_prepared_statements) a test can read.
 */
import { createTestDatabase } from '../store/postgres/testing/test-stores.js';
import { openPostgresStore, sqlClientOf } from '../store/postgres/open-postgres-store.js';
import type { SqlClient } from '../store/postgres/sql-client.js';
import type { ResourceStore } from '../store/resource-store.js';
import { startTestServer, type TestServer } from './test-server.js';

export type OneConnectionServer = {
  server: TestServer;
  store: ResourceStore;
  /** The store's one connection. */
  sql: SqlClient;
  close(): Promise<void>;
};

export async function oneConnectionServer(): Promise<OneConnectionServer> {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, poolSize: 1 });
  await store.init();
  const server = await startTestServer(store);
  return {
    server,
    store,
    sql: sqlClientOf(store)!,
    async close() {
      await server.close();
      await store.close();
      await database.drop();
    },
  };
}
