/** Content store factories for tests, one per store kind, each fresh and empty. */
import type { ContentStoreFactory } from './content-contract.js';
import { PgContentStore } from '../../postgres/pg-content-store.js';
import { pgliteTestStore, postgresTestStore } from '../../postgres/testing/test-stores.js';
import { sqlClientOf } from '../../postgres/open-postgres-store.js';
import { GridContentStore } from '../../mongo/grid-content-store.js';
import { openDocumentsDb } from '../../mongo/open-documents-db.js';

function onSqlStore(factory: typeof pgliteTestStore): ContentStoreFactory {
  return async () => {
    const { store, dispose } = await factory();
    const client = sqlClientOf(store);
    if (!client) throw new Error('not a PostgreSQL store');
    return {
      contents: new PgContentStore(client),
      dispose: async () => {
        await store.close();
        await dispose();
      },
    };
  };
}

export const pgliteContentStore = onSqlStore(pgliteTestStore);
export const postgresContentStore = onSqlStore(postgresTestStore);

/** In process (mingo) unless MONGODB_URL is set: then a uniquely named database, dropped afterwards. */
export const mongoContentStore: ContentStoreFactory = async () => {
  const url = process.env['MONGODB_URL'] || undefined;
  const db = await openDocumentsDb(url, url ? `ehr_documents_test_${Date.now().toString(36)}` : undefined);
  const contents = new GridContentStore(db);
  return {
    contents,
    dispose: async () => {
      if (url) await db.dropDatabase();
      await contents.close();
    },
  };
};
