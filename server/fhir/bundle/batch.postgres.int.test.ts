import { describeBatches } from './testing/batch-contract.js';
import { createTestDatabase } from '../../store/postgres/testing/test-stores.js';
import { openPostgresStore } from '../../store/postgres/open-postgres-store.js';

// two servers on one database: the concurrent clients' conditions meet in PostgreSQL's advisory locks too
describeBatches('postgres', async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, poolSize: 16 });
  const twin = await openPostgresStore({ url: database.url, poolSize: 8 });
  return {
    store,
    twin,
    dispose: async () => {
      await store.close().catch(() => undefined);
      await twin.close().catch(() => undefined);
      await database.drop();
    },
  };
});
