/**
 * Opens the MongoDB store: on a real server (replica set) when `url` is given, otherwise in process
 * (collections evaluated by mingo; nothing persists past the process). Call init() before use.
 */
import type { ResourceStore } from '../resource-store.js';
import { DEFAULT_DB_NAME } from './collection-names.js';
import { DriverDatabase } from './driver-db.js';
import { MemoryDatabase } from './memory-db.js';
import { MongoStore } from './mongo-store.js';

export type MongoStoreOptions = {
  /** mongodb:// or mongodb+srv:// URL; undefined → in-process mingo store. */
  url?: string;
  /** Default fhir_resources (schema reference). */
  dbName?: string;
  /** Bound on the ids a chain or _has step may resolve to (default 1000). */
  maxJoinIds?: number;
};

export async function openMongoStore(options: MongoStoreOptions): Promise<ResourceStore> {
  const db = options.url
    ? await DriverDatabase.connect(options.url, options.dbName ?? DEFAULT_DB_NAME)
    : new MemoryDatabase();
  return new MongoStore(db, { maxJoinIds: options.maxJoinIds });
}
