/**
 * The in-process DocDatabase (no MongoDB server): MemoryCollections behind one mutex. A transaction
 * holds the mutex for its whole run and journals an undo action per mutation; on failure the
 * journal is replayed backwards, so nothing of it remains. Plain operations also take the mutex,
 * so no reader ever sees a transaction half-applied (serializable, like a single-node database).
 */
import { AsyncMutex } from './async-mutex.js';
import type {
  DocCollection,
  DocDatabase,
  DocDatabaseHandle,
  Doc,
  Filter,
  FindOptions,
  IndexSpec,
  Projection,
  Update,
} from './doc-db.js';
import { MemoryCollection, type Journal } from './memory-collection.js';

type Runner = <T>(fn: () => T) => Promise<T>;

export class MemoryDatabase implements DocDatabaseHandle {
  readonly description = 'mongo (mingo in-process; no MONGODB_URL)';
  private readonly collections = new Map<string, MemoryCollection>();
  private readonly mutex = new AsyncMutex();
  private closed = false;

  collection(name: string): DocCollection {
    return bind(this.get(name), (fn) => this.mutex.run(fn));
  }

  async listCollectionNames(): Promise<string[]> {
    return this.mutex.run(() => this.names());
  }

  withTransaction<T>(fn: (tx: DocDatabase) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.assertOpen();
      const undo: Array<() => void> = [];
      const journal: Journal = (action) => undo.push(action);
      const direct: Runner = async (op) => op();
      const tx: DocDatabase = {
        collection: (name) => bind(this.get(name), direct, journal),
        listCollectionNames: async () => this.names(),
      };
      try {
        return await fn(tx);
      } catch (error) {
        for (const action of undo.reverse()) action();
        throw error;
      }
    });
  }

  async checkReady(): Promise<void> {
    this.assertOpen();
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async dropDatabase(): Promise<void> {
    await this.mutex.run(() => this.collections.clear());
  }

  private get(name: string): MemoryCollection {
    this.assertOpen();
    let collection = this.collections.get(name);
    if (!collection) {
      collection = new MemoryCollection(name);
      this.collections.set(name, collection);
    }
    return collection;
  }

  private names(): string[] {
    return [...this.collections.values()].filter((c) => !c.isEmpty).map((c) => c.name);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the in-process MongoDB store is closed');
  }
}

function bind(collection: MemoryCollection, run: Runner, journal?: Journal): DocCollection {
  return {
    insertOne: (doc: Doc) => run(() => collection.insert(doc, journal)),
    insertMany: (docs: Doc[]) =>
      run(() => {
        // all or nothing, like an ordered insertMany inside a transaction
        const local: Array<() => void> = [];
        try {
          for (const doc of docs) collection.insert(doc, (u) => local.push(u));
        } catch (error) {
          for (const u of local.reverse()) u();
          throw error;
        }
        for (const u of local) journal?.(u);
      }),
    findOne: (filter: Filter, options?: { projection?: Projection }) =>
      run(() => collection.findOne(filter, options?.projection)),
    find: (filter: Filter, options?: FindOptions) => run(() => collection.find(filter, options)),
    updateOne: (filter: Filter, update: Update, options?: { upsert?: boolean }) =>
      run(() => collection.updateOne(filter, update, options?.upsert ?? false, journal)),
    deleteMany: (filter: Filter) => run(() => collection.deleteMany(filter, journal)),
    countDocuments: (filter: Filter, options?: { limit?: number }) =>
      run(() => collection.count(filter, options?.limit)),
    createIndex: (spec: IndexSpec) => run(() => collection.createIndex(spec)),
  };
}
