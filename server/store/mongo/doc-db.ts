/**
 * The thin collection layer under the MongoDB store: exactly the operations the store uses.
 * Implemented twice — over the official driver (driver-db.ts) and in process over arrays evaluated
 * by mingo (memory-db.ts) — so that everything above this file is shared by both.
 */

/** A MongoDB query filter (plain objects, RegExp allowed where MongoDB allows a regex). */
export type Filter = Record<string, unknown>;
export type Doc = Record<string, unknown> & { _id: string | number };
/** Field → 1 (ascending) | -1 (descending), applied in insertion order. */
export type SortSpec = Record<string, 1 | -1>;
/** Field → 1 to include (inclusion projections only). */
export type Projection = Record<string, 1>;

export type FindOptions = {
  sort?: SortSpec;
  limit?: number;
  projection?: Projection;
  /** The server stops the query after this many ms (MaxTimeMSExpired); in-process collections ignore it. */
  maxTimeMS?: number;
};
/** The update operators the store uses. */
export type Update = { $set?: Record<string, unknown>; $inc?: Record<string, number> };
export type IndexSpec = { keys: Record<string, 1 | -1>; name: string; unique?: boolean };

export interface DocCollection {
  /** Throws DuplicateKeyError when a unique index (or _id) would be violated. */
  insertOne(doc: Doc): Promise<void>;
  insertMany(docs: Doc[]): Promise<void>;
  findOne(filter: Filter, options?: { projection?: Projection }): Promise<Doc | null>;
  find(filter: Filter, options?: FindOptions): Promise<Doc[]>;
  /** Updates the first matching document; `matched` 0 means the filter matched nothing (compare-and-set lost). */
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<{ matched: number }>;
  deleteMany(filter: Filter): Promise<number>;
  /** `limit` caps the count (for cheap estimates). */
  countDocuments(filter: Filter, options?: { limit?: number; maxTimeMS?: number }): Promise<number>;
  createIndex(spec: IndexSpec): Promise<void>;
}

export interface DocDatabase {
  /** Outside a transaction: auto-commit operations. Inside withTransaction: bound to the transaction. */
  collection(name: string): DocCollection;
  listCollectionNames(): Promise<string[]>;
}

export interface DocDatabaseHandle extends DocDatabase {
  /** Human-readable, for ResourceStore.description. */
  readonly description: string;
  /**
   * Runs fn in one transaction: all its writes commit together or none does. fn may be re-run on
   * transient conflicts (driver), so it must only depend on what it reads through `tx`.
   */
  withTransaction<T>(fn: (tx: DocDatabase) => Promise<T>): Promise<T>;
  /** Fails when the backend cannot run the store (unreachable, or no transaction support). */
  checkReady(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  dropDatabase(): Promise<void>;
}

/** A unique index (or _id) would be violated; the driver's E11000 is mapped to this. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly collection: string,
    readonly key: string,
  ) {
    super(`duplicate key in ${collection}: ${key}`);
    this.name = 'DuplicateKeyError';
  }
}
