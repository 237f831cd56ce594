/**
 * The `ehr_documents` database (the schema reference's unstructured clinical documents) where the MongoDB store keeps
 * Binary content: on the server at `url`, or in process (mingo) when there is none.
 */
import { DriverDatabase } from './driver-db.js';
import { MemoryDatabase } from './memory-db.js';
import type { DocDatabaseHandle } from './doc-db.js';
import { DOCUMENTS_DB_NAME } from './grid-content-store.js';

export async function openDocumentsDb(url: string | undefined, dbName = DOCUMENTS_DB_NAME): Promise<DocDatabaseHandle> {
  return url ? DriverDatabase.connect(url, dbName) : new MemoryDatabase();
}
