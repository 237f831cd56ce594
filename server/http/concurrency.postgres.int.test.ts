import { describeConcurrency } from './testing/concurrency-contract.js';
import { createTestDatabase } from '../store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../store/postgres/open-postgres-store.js';

// Two app instances, each with its own pool, on one database: what two server processes do.
describeConcurrency('postgres (2 app instances, one database)', async () => {
  const database = await createTestDatabase();
  const stores = [
    await openPostgresStore({ url: database.url, poolSize: 16 }),
    await openPostgresStore({ url: database.url, poolSize: 16 }),
  ];
  await stores[0]!.init(); // the schema once, before the two instances start
  return { stores, dispose: () => database.drop() };
});
