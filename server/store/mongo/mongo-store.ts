/**
 * The MongoDB ResourceStore. Everything here and below (documents, compiler, keyset, history, write)
 * is shared by the official driver and the in-process mingo path; only the DocDatabaseHandle differs.
 */
import type { SearchPage, SearchQuery } from '../../fhir/search/search-query.js';
import type {
  ChangeRecord,
  EntryParam,
  MatchEntries,
  HistoryPage,
  HistoryQuery,
  IndexReplacement,
  MetaInUse,
  NewestPerCode,
  ResourceKey,
  ResourceStore,
  StoredVersion,
  VersionWrite,
} from '../resource-store.js';
import {
  collectionNameFor,
  COUNTERS_COLLECTION,
  HISTORY_COLLECTION,
  isResourceCollection,
} from './collection-names.js';
import type { DocDatabaseHandle } from './doc-db.js';
import { LASTN_KEYED } from '../lastn-keys.js';
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import { checkWrite, indexDocOf, lastnFieldsOf, storedVersionOf, VERSION_PROJECTION } from './documents.js';
import { sortFieldsOf } from './sort-values.js';
import { HISTORY_INDEXES, RESOURCE_INDEXES } from './indexes.js';
import { runHistory } from './history.js';
import { runSearch, type SearchOptions } from './search.js';
import { searchEntries } from './search-entries.js';
import { writeVersions } from './write-versions.js';
import { KeyedLocks } from '../keyed-locks.js';
import { acquireLeases } from './lease-locks.js';
import { changesAfter, initChangeLog } from './change-log.js';
import { metaInUse, replaceMeta } from './version-meta.js';
import type { Meta } from '@medplum/fhirtypes';

/** How long withLocks waits for a key another request holds before answering LockTimeoutError (503). */
const LOCK_WAIT_MS = 30_000;

/** Types whose collections the schema reference names; their indexes exist from init() on. */
const SEED_TYPES = ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationStatement'] as const;

export class MongoStore implements ResourceStore {
  /** Collections whose indexes were ensured by this process. */
  private readonly ready = new Set<string>();
  /** Collection name → resource type, learned from the documents (for searches over all types). */
  private readonly typeOfCollection = new Map<string, string>();
  private readonly locks = new KeyedLocks();

  constructor(
    private readonly db: DocDatabaseHandle,
    private readonly options: SearchOptions = {},
  ) {}

  get description(): string {
    return this.db.description;
  }

  /** The store's database, for the collections kept beside the resources (terminology's concept table). */
  get database(): DocDatabaseHandle {
    return this.db;
  }

  async init(): Promise<void> {
    await this.db.checkReady();
    for (const spec of HISTORY_INDEXES) await this.db.collection(HISTORY_COLLECTION).createIndex(spec);
    await initChangeLog(this.db);
    const existing = (await this.db.listCollectionNames()).filter(isResourceCollection);
    for (const name of new Set([...SEED_TYPES.map(collectionNameFor), ...existing]))
      await this.ensureCollection(name, true);
    await this.fillLastn();
  }

  /**
   * Migration: current Observations written before the $lastn keys existed (no `lastn` field) get them from their
   * stored index entries, each a compare-and-set on its version (a concurrent write already wrote its own keys).
   */
  private async fillLastn(): Promise<void> {
    const collection = this.db.collection(collectionNameFor(LASTN_KEYED.resourceType));
    for (;;) {
      const docs = await collection.find(
        { lastn: { $exists: false } },
        {
          projection: { _id: 1, versionId: 1, deleted: 1, 'idx.reference': 1, 'idx.token': 1, 'idx.date': 1 },
          limit: 500,
        },
      );
      if (docs.length === 0) return;
      for (const doc of docs) {
        const idx = (doc['idx'] ?? {}) as Record<string, Array<Record<string, unknown>> | undefined>;
        const entries = Object.entries(idx).flatMap(([kind, list]) =>
          (list ?? []).map((e) => ({ ...e, kind }) as unknown as IndexEntry),
        );
        await collection.updateOne(
          { _id: doc['_id'], versionId: doc['versionId'], lastn: { $exists: false } },
          { $set: lastnFieldsOf(LASTN_KEYED.resourceType, doc['deleted'] === true ? [] : entries) },
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await this.db
      .collection(collectionNameFor(resourceType))
      .findOne({ _id: id }, { projection: VERSION_PROJECTION });
    return doc ? storedVersionOf(doc) : undefined;
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const doc = await this.db
      .collection(HISTORY_COLLECTION)
      .findOne({ resourceType, id, versionId }, { projection: VERSION_PROJECTION });
    return doc ? storedVersionOf(doc) : undefined;
  }

  readMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return this.readByType(keys, { deleted: false });
  }

  /** One $in query per resource type (each type is a collection of its own). */
  readCurrentMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return this.readByType(keys, {});
  }

  private async readByType(keys: ResourceKey[], filter: Record<string, unknown>): Promise<StoredVersion[]> {
    const byType = new Map<string, Set<string>>();
    for (const k of keys)
      (byType.get(k.resourceType) ?? byType.set(k.resourceType, new Set()).get(k.resourceType)!).add(k.id);
    const out: StoredVersion[] = [];
    for (const [type, ids] of byType) {
      const docs = await this.db
        .collection(collectionNameFor(type))
        .find({ _id: { $in: [...ids] }, ...filter }, { projection: VERSION_PROJECTION });
      out.push(...docs.map(storedVersionOf));
    }
    return out;
  }

  write(writes: VersionWrite[]): Promise<void> {
    return this.writeChecked(writes, undefined);
  }

  private async writeChecked(writes: VersionWrite[], fence: Parameters<typeof writeVersions>[2]): Promise<void> {
    writes.forEach(checkWrite);
    // collections and indexes cannot be created inside a transaction on every server version
    for (const w of writes) await this.ensureCollection(collectionNameFor(w.resourceType), false);
    await writeVersions(this.db, writes, fence);
  }

  /**
   * In-process locks first (one waiter per key per process polls the database), then lease documents shared by
   * every process (lease-locks.ts). `fn` gets a view of this store whose writes check the leases in their transaction.
   */
  withLocks<T>(keys: readonly string[], fn: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (keys.length === 0) return fn(this);
    return this.locks.run(keys, async () => {
      const leases = await acquireLeases(this.db, keys, LOCK_WAIT_MS);
      try {
        const locked = Object.create(this, {
          // eslint-disable-next-line @typescript-eslint/unbound-method -- kept as written (lint pass)
          write: { value: (writes: VersionWrite[]) => this.writeChecked(writes, leases.fence) },
        }) as ResourceStore;
        return await fn(locked);
      } finally {
        await leases.release();
      }
    });
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return runHistory(this.db, query);
  }

  async search(query: SearchQuery): Promise<SearchPage<StoredVersion>> {
    const types = query.resourceTypes.length > 0 ? [...new Set(query.resourceTypes)] : await this.allTypes();
    return runSearch(this.db, query, types, this.options);
  }

  async searchEntries(
    query: SearchQuery,
    params: readonly EntryParam[],
    limit: number,
    newest?: NewestPerCode,
  ): Promise<MatchEntries[]> {
    const types = query.resourceTypes.length > 0 ? [...new Set(query.resourceTypes)] : await this.allTypes();
    return searchEntries(this.db, query, types, params, limit, this.options.maxJoinIds, newest);
  }

  changesAfter(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return changesAfter(this.db, afterSeq, limit);
  }

  /**
   * Each replacement is one compare-and-set on the current document (versionId, not deleted): no transaction needed.
   */
  async replaceIndexes(items: IndexReplacement[]): Promise<number> {
    let replaced = 0;
    for (const item of items) {
      const { matched } = await this.db.collection(collectionNameFor(item.resourceType)).updateOne(
        { _id: item.id, versionId: item.versionId, deleted: false },
        {
          $set: {
            idx: indexDocOf(item.index.entries),
            compartments: [...new Set(item.index.compartments)],
            sort: sortFieldsOf(item.index.entries, item.resourceType),
            ...lastnFieldsOf(item.resourceType, item.index.entries),
          },
        },
      );
      replaced += matched;
    }
    return replaced;
  }

  replaceMeta(item: IndexReplacement, meta: Meta): Promise<boolean> {
    return replaceMeta(this.db, item, meta);
  }

  async metaInUse(resourceType?: string): Promise<MetaInUse> {
    return metaInUse(this.db, resourceType === undefined ? await this.allTypes() : [resourceType]);
  }

  /** Settings are documents `setting:<key>` of the counters collection. */
  async readSetting(key: string): Promise<string | undefined> {
    const doc = await this.db.collection(COUNTERS_COLLECTION).findOne({ _id: `setting:${key}` });
    return typeof doc?.['value'] === 'string' ? doc['value'] : undefined;
  }

  async writeSetting(key: string, value: string | undefined): Promise<void> {
    const counters = this.db.collection(COUNTERS_COLLECTION);
    if (value === undefined) await counters.deleteMany({ _id: `setting:${key}` });
    else await counters.updateOne({ _id: `setting:${key}` }, { $set: { value } }, { upsert: true });
  }

  private async ensureCollection(name: string, force: boolean): Promise<void> {
    if (this.ready.has(name) && !force) return;
    const collection = this.db.collection(name);
    for (const spec of RESOURCE_INDEXES) await collection.createIndex(spec);
    this.ready.add(name);
  }

  /** Every type that has a collection with at least one document. */
  private async allTypes(): Promise<string[]> {
    const types: string[] = [];
    for (const name of (await this.db.listCollectionNames()).filter(isResourceCollection)) {
      let type = this.typeOfCollection.get(name);
      if (!type) {
        const doc = await this.db.collection(name).findOne({}, { projection: { resourceType: 1 } });
        if (typeof doc?.['resourceType'] !== 'string') continue;
        type = doc['resourceType'];
        this.typeOfCollection.set(name, type);
      }
      types.push(type);
    }
    return types.sort();
  }
}
