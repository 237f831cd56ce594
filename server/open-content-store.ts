/**
 * Picks where Binary bytes live, beside the configured FHIR store: the chunk table of its PostgreSQL/PGlite, or the
 * GridFS buckets of MongoDB's `ehr_documents` (on the server of MONGODB_URL, else in process with mingo).
 */
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';
import type { ContentStore } from './store/content/content-store.js';
import { sqlClientOf } from './store/postgres/open-postgres-store.js';
import { PgContentStore } from './store/postgres/pg-content-store.js';

export async function openContentStore(config: Config, store: ResourceStore): Promise<ContentStore> {
  const sql = sqlClientOf(store);
  if (sql) return new PgContentStore(sql);
  const { GridContentStore } = await import('./store/mongo/grid-content-store.js');
  const { openDocumentsDb } = await import('./store/mongo/open-documents-db.js');
  const url = config.store.kind === 'mongo' && !store.description.includes('mingo') ? config.store.url : undefined;
  return new GridContentStore(await openDocumentsDb(url));
}
