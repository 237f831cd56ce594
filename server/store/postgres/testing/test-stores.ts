/**
 * Store factories for tests (the shared contract and search suites): each opens a fresh, empty store
 * (PGlite: in memory, from a cached initialised template; see pglite-template.ts).
 * The server factory creates a uniquely named database on 127.0.0.1:5432 and drops it in dispose.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { StoreFactory } from '../../testing/store-contract.js';
import { openPostgresStore } from '../open-postgres-store.js';
import { openPgliteTestStore } from './pglite-template.js';

export const POSTGRES_ADMIN_URL = process.env.NILECARE_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/**
 * dispose closes the PGlite: an open one whose lock_timeout timer is armed (advisory locks, long statements) keeps
 * the test process alive after its last test. Closing twice (a test that closed the store itself) is harmless.
 */
/** Name prefix of the PostgreSQL databases benches create (as bench/server-process.ts names its own). */
export const BENCH_DATABASE_PREFIX = 'nilecare_bench';

export const pgliteTestStore: StoreFactory = async () => {
  const store = await openPgliteTestStore();
  let closed: Promise<void> | undefined;
  return { store, dispose: () => (closed ??= store.close().catch(() => undefined)) };
};

export const postgresTestStore: StoreFactory = async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, poolSize: 16 });
  return {
    store,
    dispose: async () => {
      await store.close().catch(() => undefined); // closing twice is harmless
      await database.drop();
    },
  };
};

/**
 * A new, uniquely named, empty database on the test server; `drop` removes it (forcing connections off).
 * Benches pass `BENCH_DATABASE_PREFIX` so the bench queue (/work/coord/bench-of-record.sh) can raise the priority of
 * their PostgreSQL backends without raising the tests' (`fhir_test_*`).
 */
export async function createTestDatabase(
  prefix: 'fhir_test' | typeof BENCH_DATABASE_PREFIX = 'fhir_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
