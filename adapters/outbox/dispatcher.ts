/**
 * Delivers the FHIR store's change log (transactional outbox) to one projection, at least once, idempotent in
 * effect: the projection's handler of the change-feed consumer (server/change-feed/feed-consumer.ts, which owns the
 * cursor, the loop, the backoff and the lag). One batch = one target transaction: the consumer locks the cursor row
 * (one dispatcher per projection across nodes); here: skip versions already applied (projection_versions), deliver
 * each change in a savepoint, write the batch's high-rate rows, record the versions; the consumer advances the
 * cursor and commits. A change that fails becomes a dead letter; a newer version of that resource is delivered as
 * usual and supersedes it. A connection-level failure rolls the whole batch back and is retried with exponential
 * backoff; a failed multi-row write runs the batch again change by change. Dead letters are retried automatically
 * on a backoff schedule (attempts 1…maxAttempts), then only by retry().
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { nextAttemptAt } from '../../server/change-feed/backoff.js';
import { FeedConsumer } from '../../server/change-feed/feed-consumer.js';
import type { FeedLease } from '../../server/change-feed/lease.js';
import { SqlFeedCursor } from '../../server/change-feed/feed-state.js';
import { applyPrepared, BatchFlushError, utcNow, type ApplyMode } from './apply-changes.js';
import { errorText, prepareChanges, refKey, type ChangeRef } from './deliver.js';
import type { Projection } from './projection.js';
import {
  appliedVersions,
  listDeadLetters,
  PROJECTION_CURSORS,
  projectionLetters,
  type DeadLetter,
} from './projection-state.js';
import { rebuildProjection, type RebuildResult } from './rebuild.js';
import { isTransient, type SqlClient, type SqlTx } from './sql-client.js';

export type DispatcherOptions = {
  store: ResourceStore;
  projection: Projection;
  db: SqlClient;
  logger?: Logger;
  batchSize?: number;
  /** Automatic retries of a dead letter before it waits for retry(). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  retryBaseMs?: number;
  /** Device readings older than this are not written (retention; default one year). */
  readingsRetentionMs?: number;
  /** Wait between polls when caught up; base of the backoff after failed batches (default 1 s). */
  pollIntervalMs?: number;
  /** Called after each committed batch (tests, metrics). */
  onBatch?: (delivered: number, cursor: number) => void;
  /** Which node delivers (projection-lease.ts); without one every node runs batches, kept apart by the cursor lock. */
  lease?: FeedLease;
};

export type ProjectionStatus = {
  projection: string;
  cursor: number;
  delivered: number;
  /** Changes of the FHIR store after the cursor (capped at 1,000). */
  lagChanges: number;
  /** Age of the oldest undelivered change, seconds (0 when caught up). */
  lagSeconds: number;
  /** Failed deliveries waiting for a retry or a newer version. */
  deadLetters: DeadLetter[];
  /** Dead letters a newer version of the resource superseded (kept for the console until a rebuild). */
  supersededDeadLetters: DeadLetter[];
  lastError?: string;
};

export class Dispatcher {
  readonly name: string;
  private readonly cursor: SqlFeedCursor;
  private readonly feed: FeedConsumer;
  constructor(private readonly o: DispatcherOptions) {
    this.name = o.projection.name;
    this.cursor = new SqlFeedCursor(PROJECTION_CURSORS, this.name);
    this.feed = new FeedConsumer({
      store: o.store,
      db: o.db,
      cursor: this.cursor,
      handler: {
        handle: async (tx, changes, mode) => {
          const letters = new Map((await listDeadLetters(tx, this.name)).map((d) => [letterKey(d), d]));
          return this.deliver(tx, [...changes], { letters, batched: !mode.oneByOne });
        },
        // A multi-row write failed: run the same batch again flushing after each change, which isolates the culprit.
        isolateAfter: (e) => !isTransient(e) && e instanceof BatchFlushError,
        retryDue: () => this.retryDue(),
      },
      ...(o.logger ? { logger: o.logger } : {}),
      label: `projection ${this.name}`,
      ...(o.batchSize ? { batchSize: o.batchSize } : {}),
      ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
      ...(o.onBatch ? { onBatch: (_consumed, delivered, cursor) => o.onBatch!(delivered, cursor) } : {}),
      ...(o.lease ? { lease: o.lease } : {}),
    });
  }

  private nextAttemptAt = (attempts: number): string | null =>
    nextAttemptAt({ maxAttempts: this.o.maxAttempts ?? 5, baseMs: this.o.retryBaseMs ?? 1000 }, attempts);

  /** Delivers one batch; returns the number of changes consumed (0 = caught up). Throws on transient failures. */
  runBatch(): Promise<number> {
    return this.feed.runBatch();
  }

  /** Prepares and applies changes in order inside `tx`; returns how many were applied. */
  async deliver(tx: SqlTx, changes: ChangeRef[], mode: ApplyMode, rebuilding = false): Promise<number> {
    const { store, projection } = this.o;
    const accepted = changes.filter((c) => projection.accepts(c.resourceType));
    if (accepted.length === 0) return 0;
    const applied = await appliedVersions(
      tx,
      projection.name,
      accepted.map((c) => ({ resourceType: c.resourceType, id: c.id })),
    );
    const prepared = await prepareChanges(store, projection, accepted, {
      rebuilding,
      readingsRetentionMs: this.o.readingsRetentionMs,
      // The rows in the target are those of the last applied version (a failed one in between never was).
      previousVersion: (c) => (rebuilding ? undefined : applied.get(refKey(c))),
    });
    return applyPrepared(tx, prepared, applied, {
      ...mode,
      force: rebuilding,
      projection: this.name,
      fail: (change, e) => this.fail(tx, change, e),
    });
  }

  /**
   * Rebuilds the projection from the FHIR store in one target transaction (other nodes' dispatchers wait on the
   * cursor lock), touching only the rows it owns: see rebuild.ts.
   */
  async rebuild(onProgress?: (done: number, total: number) => void): Promise<RebuildResult> {
    return this.feed.withCursorLocked((tx) =>
      rebuildProjection(tx, {
        store: this.o.store,
        projection: this.o.projection,
        deliver: (changes) => this.deliver(tx, changes, { letters: new Map(), batched: true }, true),
        retryFailed: async () => {
          let ok = 0;
          for (const letter of await listDeadLetters(tx, this.name)) if (await this.retryIn(tx, letter)) ok++;
          return ok;
        },
        onProgress,
      }),
    );
  }

  private async fail(tx: SqlTx, change: ChangeRef, e: unknown): Promise<void> {
    const error = errorText(e);
    this.o.logger?.warn(
      { projection: this.name, resource: refKey(change), version: change.versionId, err: error },
      'projection dead letter',
    );
    await projectionLetters.recordFailure(tx, this.name, {
      resourceType: change.resourceType,
      resourceId: change.id,
      version: change.versionId,
      seq: change.seq,
      error,
      now: utcNow(),
      nextAttemptAt: this.nextAttemptAt,
    });
  }

  /** Retries a failed dead letter now: delivers its failed version. Success removes it; a failure counts an attempt. */
  async retry(resourceType: string, resourceId: string): Promise<boolean> {
    return this.feed.withCursorLocked(async (tx) => {
      const letter = (await listDeadLetters(tx, this.name)).find(
        (d) => d.resourceType === resourceType && d.resourceId === resourceId,
      );
      return letter ? this.retryIn(tx, letter) : false;
    });
  }

  private async retryIn(tx: SqlTx, letter: DeadLetter): Promise<boolean> {
    const stored = await this.o.store.vread(letter.resourceType, letter.resourceId, letter.failedVersion);
    const change: ChangeRef = {
      resourceType: letter.resourceType,
      id: letter.resourceId,
      versionId: letter.failedVersion,
      deleted: stored?.deleted ?? false,
      seq: letter.seq,
    };
    const letters = new Map<string, { failedVersion: number }>([[letterKey(letter), letter]]);
    const delivered = await this.deliver(tx, [change], { letters, retrying: true, batched: false });
    if (delivered > 0) await this.cursor.count(tx, 1);
    return !letters.has(letterKey(letter));
  }

  /** Automatic retries of the dead letters whose time has come. */
  async retryDue(): Promise<number> {
    let ok = 0;
    for (const d of await projectionLetters.due(this.o.db, this.name, utcNow()))
      if (await this.retry(d.resourceType, d.resourceId)) ok++;
    return ok;
  }

  async status(): Promise<ProjectionStatus> {
    const lag = await this.feed.lag();
    const letters = await listDeadLetters(this.o.db, this.name, 'all');
    const lastError = this.feed.lastError;
    return {
      projection: this.name,
      cursor: lag.cursor,
      delivered: lag.count,
      lagChanges: lag.lagChanges,
      lagSeconds: lag.lagSeconds,
      deadLetters: letters.filter((d) => d.state === 'failed'),
      supersededDeadLetters: letters.filter((d) => d.state === 'superseded'),
      ...(lastError ? { lastError } : {}),
    };
  }

  /** True when every change committed so far is delivered (one cheap change-log read). */
  caughtUp(): Promise<boolean> {
    return this.feed.caughtUp();
  }

  /** Starts polling: batches back to back while there is work, then waits pollIntervalMs; failures back off. */
  start(): this {
    this.feed.start();
    return this;
  }

  /** This node holds the projection's lease (or has none) and delivers. */
  get active(): boolean {
    return this.feed.active;
  }

  /** Stops after the current batch (and releases the lease). */
  stop(): Promise<void> {
    return this.feed.stop();
  }
}

const letterKey = (d: DeadLetter) => `${d.resourceType}/${d.resourceId}`;
