/** The ResourceStore over PostgreSQL (a server through pg, or embedded PGlite): the same SQL for both. */
import type { SearchPage, SearchQuery } from '../../fhir/search/search-query.js';
import type {
  ChangeRecord,
  EntryParam,
  NewestPerCode,
  MatchEntries,
  HistoryPage,
  HistoryQuery,
  IndexReplacement,
  MetaInUse,
  ResourceKey,
  ResourceStore,
  StoredVersion,
  VersionWrite,
} from '../resource-store.js';
import { readHistory } from './history.js';
import { changesAfter } from './changes.js';
import { readCurrent, readCurrentMany, readMany, readVersion } from './read-versions.js';
import { createSchema } from './schema.js';
import { runSearch } from './search/run-search.js';
import { runSearchAny } from './search/search-any.js';
import { runLedCandidates } from './led-candidates.js';
import { searchEntries } from './search/search-entries.js';
import type { SqlClient } from './sql-client.js';
import { StatisticsKeeper } from './statistics.js';
import { checkWrites, writeVersions } from './write-versions.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';
import { readSetting, replaceIndexes, writeSetting } from './replace-indexes.js';
import { metaInUse, replaceMeta } from './version-meta.js';
import type { Meta } from '@medplum/fhirtypes';
import { KeyedLocks } from '../keyed-locks.js';
import { advisoryLockIds } from './advisory-locks.js';

/** How long withLocks waits for a key another request holds before answering LockTimeoutError (503). */
export const LOCK_WAIT_MS = 30_000;

/**
 * Two write statements at once before writes are grouped: on 2 cores more in flight only adds context switches, and
 * the pool's other connections serve reads and searches. 200 versions: a small bundle still joins a group.
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxInFlight: 2, maxGroupVersions: 200 };

export class PostgresStore implements ResourceStore {
  readonly #statistics: StatisticsKeeper;
  readonly #locks = new KeyedLocks();

  readonly #groupCommit: GroupCommit | undefined;

  /**
   * On a server, concurrent writes are group-committed (group-commit.ts) unless `groupCommit` is false. Not on
   * embedded PGlite: one connection, whose transactions run the store's calls made inside them on themselves
   * (pglite-client.ts) — a group drained there would put other callers' writes into that transaction.
   */
  constructor(
    private readonly client: SqlClient,
    options: { groupCommit?: GroupCommitOptions | false } = {},
  ) {
    this.#statistics = new StatisticsKeeper(client);
    const groupCommit = options.groupCommit ?? DEFAULT_GROUP_COMMIT;
    this.#groupCommit =
      client.isServer && groupCommit ? new GroupCommit((w) => writeVersions(client, w), groupCommit) : undefined;
  }

  get description(): string {
    return this.client.description;
  }

  /** The SQL client, for the server's own state kept beside FHIR in the same database (server/state). */
  get sqlClient(): SqlClient {
    return this.client;
  }

  async init(): Promise<void> {
    await createSchema(this.client);
    await this.#statistics.init();
  }

  async close(): Promise<void> {
    await this.#statistics.settle();
    await this.client.close();
  }

  async ping(): Promise<void> {
    await this.client.query({ name: 'fhir_ping', text: 'SELECT 1' });
  }

  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return readCurrent(this.client, resourceType, id);
  }

  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    return readVersion(this.client, resourceType, id, versionId);
  }

  readMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return readMany(this.client, keys);
  }

  readCurrentMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return readCurrentMany(this.client, keys);
  }

  async write(writes: VersionWrite[]): Promise<void> {
    checkWrites(writes);
    await (this.#groupCommit ? this.#groupCommit.write(writes) : writeVersions(this.client, writes));
    this.#statistics.noteWrites(writes.length);
  }

  /**
   * In-process locks first (one waiter per key per process reaches the database), then, on a server, advisory locks
   * shared by every process (advisory-locks.ts). PGlite has no second process (folder-lock.ts): in-process is all.
   */
  withLocks<T>(keys: readonly string[], fn: (store: ResourceStore) => Promise<T>): Promise<T> {
    return this.#locks.run(keys, () => {
      if (!this.client.withAdvisoryLocks || keys.length === 0) return fn(this);
      return this.client.withAdvisoryLocks(advisoryLockIds(keys), LOCK_WAIT_MS, () => fn(this));
    });
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return readHistory(this.client, query);
  }

  search(query: SearchQuery): Promise<SearchPage<StoredVersion>> {
    return runSearch(this.client, query);
  }

  async searchAny(queries: SearchQuery[]): Promise<StoredVersion[]> {
    // patient matching's blocking searches: one prepared statement of constant text (led-candidates.ts)
    return (await runLedCandidates(this.client, queries)) ?? runSearchAny(this.client, queries);
  }

  searchEntries(
    query: SearchQuery,
    params: readonly EntryParam[],
    limit: number,
    newest?: NewestPerCode,
  ): Promise<MatchEntries[]> {
    return searchEntries(this.client, query, params, limit, newest);
  }

  changesAfter(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return changesAfter(this.client, afterSeq, limit);
  }

  replaceIndexes(items: IndexReplacement[]): Promise<number> {
    return replaceIndexes(this.client, items);
  }

  replaceMeta(item: IndexReplacement, meta: Meta): Promise<boolean> {
    return replaceMeta(this.client, item, meta);
  }

  metaInUse(resourceType?: string): Promise<MetaInUse> {
    return metaInUse(this.client, resourceType);
  }

  readSetting(key: string): Promise<string | undefined> {
    return readSetting(this.client, key);
  }

  writeSetting(key: string, value: string | undefined): Promise<void> {
    return writeSetting(this.client, key, value);
  }
}
