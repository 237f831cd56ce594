/**
 * The DocDatabase over the official MongoDB driver. Transactions use session.withTransaction
 * (retried by the driver on transient conflicts), which needs a replica set or sharded cluster:
 * checkReady() refuses a standalone server with an error that says so.
 */
import { MongoClient, MongoServerError, type ClientSession, type Db, type Document } from 'mongodb';
import {
  DuplicateKeyError,
  type DocCollection,
  type DocDatabase,
  type DocDatabaseHandle,
  type Doc,
  type Filter,
  type FindOptions,
  type IndexSpec,
  type Projection,
  type Update,
} from './doc-db.js';

export class DriverDatabase implements DocDatabaseHandle {
  readonly description: string;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    url: string,
  ) {
    this.description = `mongo (server ${redactUrl(url)}, database ${db.databaseName})`;
  }

  static async connect(url: string, dbName: string): Promise<DriverDatabase> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    return new DriverDatabase(client, client.db(dbName), url);
  }

  collection(name: string): DocCollection {
    return bind(this.db, name, undefined);
  }

  async listCollectionNames(): Promise<string[]> {
    return listNames(this.db, undefined);
  }

  async withTransaction<T>(fn: (tx: DocDatabase) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    try {
      const tx: DocDatabase = {
        collection: (name) => bind(this.db, name, session),
        // listCollections is not allowed inside a MongoDB transaction
        listCollectionNames: () => listNames(this.db, undefined),
      };
      return await session.withTransaction(() => fn(tx), {
        readConcern: { level: 'snapshot' },
        // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the driver takes the plain options form
        writeConcern: { w: 'majority' },
      });
    } finally {
      await session.endSession();
    }
  }

  async checkReady(): Promise<void> {
    assertTransactional(await this.db.admin().command({ hello: 1 }), this.description);
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async dropDatabase(): Promise<void> {
    await this.db.dropDatabase();
  }
}

async function listNames(db: Db, session: ClientSession | undefined): Promise<string[]> {
  const infos = await db.listCollections({}, { nameOnly: true, ...(session ? { session } : {}) }).toArray();
  return infos.map((i) => i.name);
}

function bind(db: Db, name: string, session: ClientSession | undefined): DocCollection {
  const c = db.collection(name);
  return {
    insertOne: (doc: Doc) => mapDuplicate(name, async () => void (await c.insertOne(doc as Document, { session }))),
    insertMany: (docs: Doc[]) =>
      mapDuplicate(
        name,
        async () => void (docs.length > 0 && (await c.insertMany(docs as Document[], { session, ordered: true }))),
      ),
    findOne: async (filter: Filter, options?: { projection?: Projection }) =>
      (await c.findOne(filter, { session, projection: options?.projection })) as Doc | null,
    find: async (filter: Filter, options: FindOptions = {}) => {
      let cursor = c.find(filter, {
        session,
        projection: options.projection,
        ...(options.maxTimeMS ? { maxTimeMS: options.maxTimeMS } : {}),
      });
      if (options.sort && Object.keys(options.sort).length > 0) cursor = cursor.sort(options.sort);
      if (options.limit !== undefined && options.limit > 0) cursor = cursor.limit(options.limit);
      return (await cursor.toArray()) as unknown as Doc[];
    },
    updateOne: (filter: Filter, update: Update, options?: { upsert?: boolean }) =>
      mapDuplicate(name, async () => {
        const result = await c.updateOne(filter, update, { session, upsert: options?.upsert ?? false });
        return { matched: result.matchedCount };
      }),
    deleteMany: async (filter: Filter) => (await c.deleteMany(filter, { session })).deletedCount,
    countDocuments: (filter: Filter, options?: { limit?: number; maxTimeMS?: number }) =>
      c.countDocuments(filter, {
        session,
        ...(options?.limit ? { limit: options.limit } : {}),
        ...(options?.maxTimeMS ? { maxTimeMS: options.maxTimeMS } : {}),
      }),
    createIndex: async (spec: IndexSpec) =>
      void (await c.createIndex(spec.keys, { name: spec.name, ...(spec.unique ? { unique: true } : {}) })),
  };
}

async function mapDuplicate<T>(collection: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 11000) {
      throw new DuplicateKeyError(collection, JSON.stringify(error.keyValue ?? error.message));
    }
    throw error;
  }
}

/** Throws unless the `hello` reply is from a replica set member or mongos (multi-document transactions). */
export function assertTransactional(hello: Document, where: string): void {
  const replicated = typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
  if (!replicated) {
    throw new Error(
      `${where} is a standalone MongoDB server: the FHIR store needs multi-document transactions, ` +
        'which MongoDB only offers on a replica set or a sharded cluster. Start mongod with --replSet (a one-member ' +
        'replica set is enough; see docker-compose.yml), run rs.initiate(), and connect with ?replicaSet=<name>.',
    );
  }
}

/** The URL without user name or password, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
