import type { Coding, Meta, Resource } from '@medplum/fhirtypes';
import type { IndexEntry, ResourceIndex } from '../fhir/indexing/index-entry.js';
import type { ParamKind, SearchPage, SearchQuery } from '../fhir/search/search-query.js';

/**
 * The one storage port. Implementations: postgres/ (pg server or embedded PGlite) and mongo/
 * (official driver, or an in-process collection evaluated by mingo when no server is configured).
 *
 * The FHIR layer decides everything FHIR: it stamps meta.versionId / meta.lastUpdated, validates,
 * extracts the index. A store only keeps versions, answers reads, history and compiled searches,
 * and guarantees that `write` is atomic and a compare-and-set on the version number.
 */

/** One version of a resource as kept by the store. */
export type StoredVersion = {
  resourceType: string;
  id: string;
  /** 1, 2, 3 … per resource; a delete is a version of its own. */
  versionId: number;
  /** ISO instant, equal to resource.meta.lastUpdated when not deleted. */
  lastUpdated: string;
  deleted: boolean;
  /** The resource as written (meta stamped); null for a delete version. */
  resource: Resource | null;
};

/** A new version to write. */
export type VersionWrite = {
  resourceType: string;
  id: string;
  /** Must be exactly current versionId + 1 (1 when the resource does not exist); otherwise VersionConflictError. */
  versionId: number;
  lastUpdated: string;
  /** null writes a delete version (the current resource becomes gone; history keeps every version). */
  resource: Resource | null;
  /** Index of the new current version (ignored for deletes). */
  index: ResourceIndex;
  /**
   * Content of the content store (store/content) this version names — a Binary's bytes. A store that keeps content
   * beside the resources (PostgreSQL/PGlite) claims it in the same transaction, so the bytes become part of the record
   * exactly when the version does; unclaimed content is removed later. Other stores ignore it.
   */
  contentIds?: readonly string[];
};

/** A committed change, recorded in the same store transaction as the version (transactional outbox). */
export type ChangeRecord = {
  /** Strictly increasing in commit order per store (gaps allowed). */
  seq: number;
  resourceType: string;
  id: string;
  versionId: number;
  deleted: boolean;
  lastUpdated: string;
};

export type HistoryQuery = {
  /** Absent: system history. */
  resourceType?: string;
  /** With resourceType: instance history. */
  id?: string;
  /** Only versions with lastUpdated >= since (ISO instant). */
  since?: string;
  /** Only versions with lastUpdated <= at... (R4 `_at` is not supported; kept for paging upper bound). */
  before?: string;
  count: number;
  /** Opaque cursor from a previous HistoryPage. */
  cursor?: string;
};

export type HistoryPage = {
  /** Newest first. */
  versions: StoredVersion[];
  total?: number;
  nextCursor?: string;
};

export type ResourceKey = { resourceType: string; id: string };

/** A re-extracted index for the current version `versionId` of a resource (reindex after an index-format change). */
export type IndexReplacement = ResourceKey & { versionId: number; index: ResourceIndex };

/** A parameter whose index entries searchEntries() returns, with its kind (where its entries are kept). */
export type EntryParam = { param: string; kind: Exclude<ParamKind, 'composite'> };

/**
 * One match of searchEntries(): its key, current version, lastUpdated and the asked index entries; no resource body,
 * except `version` (that current version with its body) where the store read it in the same step because few matches
 * were kept (NewestPerCode: the caller then need not read it again).
 */
export type MatchEntries = ResourceKey & {
  versionId: number;
  lastUpdatedMs: number;
  entries: IndexEntry[];
  version?: StoredVersion;
  /**
   * With NewestPerCode, where the store took the match's rankable $lastn key (server/store/lastn-keys.ts: its single
   * subject, single coded code and latest date) from the structure it keeps instead of reading its index entries:
   * `entries` is then empty and the match groups by this key (lastn-groups.ts).
   */
  lastnKey?: { subject: string; code: string; at: number | null };
};

/**
 * What searchEntries() may leave out for $lastn (lastn-groups.ts), so that it reads a group's newest matches only:
 * a match with exactly one distinct `subject` reference entry and exactly one distinct coded `code` token
 * (system|code) that is not among the `max` newest (latest high of its `date` entries, none last; then the latest
 * lastUpdated; then the id) of the matches with that same single subject and code. What is kept groups exactly as all
 * matches would: a group's newest `max` are among the newest `max` of each of its codes, and every match that joins
 * codes or has no single subject or code is kept. Nothing is left out when `limit` matches are reached (the caller
 * sees there were too many). A store may ignore it (keep everything).
 */
export type NewestPerCode = { subject: string; code: string; date: string; max: number };

/** The tags, security labels and profiles found on current resources ($meta at system and type level). */
export type MetaInUse = { tags: Coding[]; security: Coding[]; profiles: string[] };

export interface ResourceStore {
  /**
   * A human-readable name for logs and test output, e.g. `pglite (./data/pglite)` or `mongo (mingo in-process, no
   * server)`.
   */
  readonly description: string;

  /** Create tables/collections/indexes if missing. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Cheap reachability check for /readyz. */
  ping(): Promise<void>;

  /** The current version (possibly a delete version), or undefined when never written. */
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>;
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined>;
  /** Current, non-deleted versions of the given resources, in no particular order; missing ones are left out. */
  readMany(keys: ResourceKey[]): Promise<StoredVersion[]>;
  /**
   * Current versions of the given resources, delete versions included (what `read` answers, for many keys in one
   * round trip), in no particular order; never-written ones are left out.
   */
  readCurrentMany(keys: ResourceKey[]): Promise<StoredVersion[]>;

  /** All writes commit together or none does (one database transaction), with their ChangeRecords. */
  write(writes: VersionWrite[]): Promise<void>;

  /**
   * Runs `fn` holding an exclusive lock on every key (any strings, e.g. `Patient?identifier=sys|1`), taken before
   * `fn` reads anything: a match-then-write inside `fn` is atomic against every other holder of one of those keys,
   * in this process and in any other process sharing the database. The locks are released only after `fn`'s writes
   * committed. `fn` must read and write through the store it is given (on MongoDB its writes check, inside their
   * transaction, that the locks are still held). Keys are taken in sorted order (no deadlock between holders);
   * a lock that cannot be had in time rejects with LockTimeoutError.
   */
  withLocks<T>(keys: readonly string[], fn: (store: ResourceStore) => Promise<T>): Promise<T>;

  history(query: HistoryQuery): Promise<HistoryPage>;
  /** Searches current, non-deleted versions. */
  search(query: SearchQuery): Promise<SearchPage<StoredVersion>>;

  /**
   * The union of the first pages of several searches — each query's first `count` matches in its order (cursor and
   * total ignored) — each resource once, in no particular order. What the blocking searches of patient matching read:
   * in one round trip where the store can (PostgreSQL: one statement). Optional: without it the caller runs the
   * searches one by one (server/fhir/search/search-any.ts).
   */
  searchAny?(queries: SearchQuery[]): Promise<StoredVersion[]>;

  /**
   * Every current resource matching `query` (its types and conditions; sort, count, cursor and total are ignored),
   * at most `limit` of them, each with its index entries of `params` (composite tuples left out) and no body: what
   * an operation that groups matches by their index values reads ($lastn), without loading every resource. With
   * `newest`, matches that cannot be among a group's newest may be left out (NewestPerCode).
   */
  searchEntries(
    query: SearchQuery,
    params: readonly EntryParam[],
    limit: number,
    newest?: NewestPerCode,
  ): Promise<MatchEntries[]>;

  /** Changes with seq > afterSeq in seq order, at most `limit`. */
  changesAfter(afterSeq: number, limit: number): Promise<ChangeRecord[]>;

  /**
   * Replaces the index of current versions without writing a version (server/fhir/indexing/reindex.ts): applied
   * only where `versionId` is still the current, non-deleted version (a newer version already has a new index).
   * Returns how many were replaced.
   */
  replaceIndexes(items: IndexReplacement[]): Promise<number>;

  /**
   * Replaces the meta of one stored version in place, without writing a version ($meta-add, $meta-delete: the FHIR
   * spec's history semantics). The version keeps everything else, its meta.versionId and meta.lastUpdated included
   * (the store keeps the stored ones whatever `meta` says). When it is the current version, its index is replaced by
   * `item.index` in the same transaction. false when that version does not exist or is a delete. Callers serialise
   * edits of one resource (withLocks): the store does not merge concurrent replacements.
   */
  replaceMeta(item: IndexReplacement, meta: Meta): Promise<boolean>;

  /** The distinct tags, security labels and profiles of current resources (of one type, or of all). */
  metaInUse(resourceType?: string): Promise<MetaInUse>;

  /** A store-wide setting (e.g. the index text version of the stored index), undefined when never written. */
  readSetting(key: string): Promise<string | undefined>;
  writeSetting(key: string, value: string | undefined): Promise<void>;
}

/** Thrown by write() when a VersionWrite's versionId is not current + 1 (someone else wrote first). */
export class VersionConflictError extends Error {
  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly attemptedVersion: number,
  ) {
    super(`Version conflict on ${resourceType}/${id}: version ${attemptedVersion} was already written or is not next`);
    this.name = 'VersionConflictError';
  }
}

/** Thrown by withLocks() when a key stayed held by someone else past the wait limit; becomes a 503 (try again). */
export class LockTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`Another request held the same conditional lock for more than ${waitedMs} ms`);
    this.name = 'LockTimeoutError';
  }
}

/** Thrown by a locked store's write() when its lock was lost (lease expired and taken over); nothing was written. */
export class LockLostError extends Error {
  constructor(readonly key: string) {
    super(`The lock on ${key} expired before the write; nothing was written`);
    this.name = 'LockLostError';
  }
}

/** Thrown by search() for a query the store cannot answer (e.g. an unsupported sort kind); becomes a 400. */
export class UnsupportedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedQueryError';
  }
}

/** Thrown by search() when the query ran past SearchQuery.timeoutMs and was cancelled; becomes a 503. */
export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The search ran longer than ${timeoutMs} ms and was stopped`);
    this.name = 'QueryTimeoutError';
  }
}
