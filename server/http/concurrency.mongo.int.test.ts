import { describeConcurrency } from './testing/concurrency-contract.js';
import { MemoryDatabase } from '../store/mongo/memory-db.js';
import { MongoStore } from '../store/mongo/mongo-store.js';
import { openMongoTestStore } from '../store/mongo/testing/test-stores.js';
import { openMongoStore } from '../store/mongo/open-mongo-store.js';

const live = process.env.MONGODB_URL;
describeConcurrency(
  live ? 'mongo (live server from MONGODB_URL, 2 app instances)' : 'mongo (mingo in-process, 2 app instances)',
  async () => {
    if (live) {
      const first = await openMongoTestStore();
      const dbName = /database (\S+)\)/.exec(first.store.description)?.[1];
      const second = await openMongoStore({ url: live, dbName });
      return { stores: [first.store, second], dispose: first.dispose };
    }
    // two stores (each with its own in-process locks, as two processes have) over one in-process database
    const db = new MemoryDatabase();
    return { stores: [new MongoStore(db), new MongoStore(db)], dispose: async () => undefined };
  },
);
