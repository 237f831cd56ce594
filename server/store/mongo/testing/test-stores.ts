/**
 * Store factory for tests: a uniquely named database on the server at MONGODB_URL (dropped by
 * dispose), or — when MONGODB_URL is unset — a fresh in-process store. The store's description says
 * which one ran.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { StoreFactory } from '../../testing/store-contract.js';
import { openMongoStore, type MongoStoreOptions } from '../open-mongo-store.js';

export const mongoTestStore: StoreFactory = () => openMongoTestStore();

/** mongoTestStore with store options (e.g. a small maxJoinIds). */
export async function openMongoTestStore(
  options: Omit<MongoStoreOptions, 'url' | 'dbName'> = {},
): ReturnType<StoreFactory> {
  const url = process.env['MONGODB_URL'] || undefined;
  if (!url) return { store: await openMongoStore(options), dispose: async () => {} };
  const dbName = `nilecare_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const store = await openMongoStore({ ...options, url, dbName });
  return {
    store,
    dispose: async () => {
      const client = new MongoClient(url);
      try {
        await client.connect();
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}
