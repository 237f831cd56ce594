/** Picks the ResourceStore implementation named by the configuration. */
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';
import { openPgliteStore, openPostgresStore } from './store/postgres/open-postgres-store.js';
import { openMongoStore } from './store/mongo/open-mongo-store.js';

export async function openConfiguredStore(store: Config['store']): Promise<ResourceStore> {
  switch (store.kind) {
    case 'pglite':
      return openPgliteStore({ dataDir: store.dataDir });
    case 'postgres':
      return openPostgresStore({ url: store.url, poolSize: store.poolSize });
    case 'mongo':
      return openMongoStore({ url: store.url, dbName: store.dbName });
  }
}
