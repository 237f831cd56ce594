/**
 * Picks the ResourceStore implementation named by the configuration. Drivers are imported only when
 * chosen, so the embedded default does not load the MongoDB driver and vice versa.
 */
import { mkdirSync } from 'node:fs';
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';

export async function openConfiguredStore(store: Config['store']): Promise<ResourceStore> {
  switch (store.kind) {
    case 'pglite': {
      mkdirSync(store.dataDir, { recursive: true });
      const { openPgliteStore } = await import('./store/postgres/open-postgres-store.js');
      return openPgliteStore({ dataDir: store.dataDir });
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./store/postgres/open-postgres-store.js');
      return openPostgresStore({ url: store.url, poolSize: store.poolSize });
    }
    case 'mongo': {
      const { openMongoStore } = await import('./store/mongo/open-mongo-store.js');
      return openMongoStore({ url: store.url, dbName: store.dbName });
    }
  }
}
