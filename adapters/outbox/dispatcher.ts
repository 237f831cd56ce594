/**
 * Delivers the FHIR store's change log (transactional outbox) to one projection, at least once, idempotent in
 * effect. One batch = one target transaction: lock the cursor row (one dispatcher per projection across nodes),
 * skip versions already applied (projection_versions), deliver each change in a savepoint, write the batch's
 * high-rate rows, record the versions, advance the cursor, commit. A change that fails becomes a dead letter; a
 * newer version of that resource is delivered as usual and supersedes it. A connection-level failure rolls the
 * whole batch back and is retried with exponential backoff. Dead letters are retried automatically on a backoff
 * schedule (attempts 1…maxAttempts), then only by retry().
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { applyPrepared, BatchFlushError, utcNow, type ApplyMode } from './apply-changes.js';
import { errorText, prepareChanges, refKey, type ChangeRef } from './deliver.js';
import type { Projection } from './projection.js';
import {
  appliedVersions,
  dueDeadLetters,
  listDeadLetters,
  lockCursor,
  readCursor,
  recordFailure,
  saveCursor,
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
  /** Called after each committed batch (tests, metrics). */
  onBatch?: (delivered: number, cursor: number) => void;
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
  private lastError: string | undefined;
  constructor(private readonly o: DispatcherOptions) {
    this.name = o.projection.name;
  }

  private nextAttemptAt = (attempts: number): string | null => {
    if (attempts >= (this.o.maxAttempts ?? 5)) return null;
    return new Date(Date.now() + (this.o.retryBaseMs ?? 1000) * 2 ** (attempts - 1)).toISOString().slice(0, 23);
  };

  /** Delivers one batch; returns the number of changes consumed (0 = caught up). Throws on transient failures. */
  async runBatch(): Promise<number> {
    const batchSize = this.o.batchSize ?? 200;
    try {
      return await this.batch(batchSize, true);
    } catch (e) {
      if (isTransient(e) || !(e instanceof BatchFlushError)) throw e;
      // A multi-row write failed: run the same batch again flushing after each change, which isolates the culprit.
      this.o.logger?.warn(
        { projection: this.name, err: errorText(e.failure) },
        'batched rows failed; delivering one by one',
      );
      return this.batch(batchSize, false);
    }
  }

  private async batch(batchSize: number, batched: boolean): Promise<number> {
    const { store, projection, db } = this.o;
    return db.transaction(async (tx) => {
      const cursor = await lockCursor(tx, projection.name);
      const changes = await store.changesAfter(cursor, batchSize);
      if (changes.length === 0) return 0;
      const letters = new Map((await listDeadLetters(tx, projection.name)).map((d) => [letterKey(d), d]));
      const delivered = await this.deliver(tx, changes, { letters, batched });
      const last = changes[changes.length - 1]!;
      await saveCursor(tx, projection.name, last.seq, delivered, last.lastUpdated);
      this.o.onBatch?.(delivered, last.seq);
      return changes.length;
    });
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
    return this.o.db.transaction(async (tx) => {
      await lockCursor(tx, this.name);
      return rebuildProjection(tx, {
        store: this.o.store,
        projection: this.o.projection,
        deliver: (changes) => this.deliver(tx, changes, { letters: new Map(), batched: true }, true),
        retryFailed: async () => {
          let ok = 0;
          for (const letter of await listDeadLetters(tx, this.name)) if (await this.retryIn(tx, letter)) ok++;
          return ok;
        },
        onProgress,
      });
    });
  }

  private async fail(tx: SqlTx, change: ChangeRef, e: unknown): Promise<void> {
    const error = errorText(e);
    this.o.logger?.warn(
      { projection: this.name, resource: refKey(change), version: change.versionId, err: error },
      'projection dead letter',
    );
    await recordFailure(tx, {
      projection: this.name,
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
    return this.o.db.transaction(async (tx) => {
      await lockCursor(tx, this.name);
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
    if (delivered > 0)
      await tx.query('UPDATE projection_state SET delivered = delivered + 1 WHERE projection = ?', [this.name]);
    return !letters.has(letterKey(letter));
  }

  /** Automatic retries of the dead letters whose time has come. */
  async retryDue(): Promise<number> {
    let ok = 0;
    for (const d of await dueDeadLetters(this.o.db, this.name, utcNow()))
      if (await this.retry(d.resourceType, d.resourceId)) ok++;
    return ok;
  }

  async status(): Promise<ProjectionStatus> {
    const { cursor, delivered } = await readCursor(this.o.db, this.name);
    const behind = await this.o.store.changesAfter(cursor, 1000);
    const oldest = behind[0] ? Date.parse(behind[0].lastUpdated) : undefined;
    const letters = await listDeadLetters(this.o.db, this.name, 'all');
    return {
      projection: this.name,
      cursor,
      delivered,
      lagChanges: behind.length,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      deadLetters: letters.filter((d) => d.state === 'failed'),
      supersededDeadLetters: letters.filter((d) => d.state === 'superseded'),
      lastError: this.lastError,
    };
  }

  /** True when every change committed so far is delivered (one cheap change-log read). */
  async caughtUp(): Promise<boolean> {
    const { cursor } = await readCursor(this.o.db, this.name);
    return (await this.o.store.changesAfter(cursor, 1)).length === 0;
  }

  /** Polls until stopped: batches back to back while there is work, then waits pollIntervalMs; transient errors back off. */
  async loop(signal: AbortSignal, pollIntervalMs: number): Promise<void> {
    let failures = 0;
    let lastRetry = 0;
    while (!signal.aborted) {
      try {
        const n = await this.runBatch();
        if (Date.now() - lastRetry > pollIntervalMs) {
          lastRetry = Date.now();
          await this.retryDue();
        }
        failures = 0;
        this.lastError = undefined;
        if (n > 0) continue;
      } catch (e) {
        failures++;
        this.lastError = errorText(e);
        this.o.logger?.error(
          { projection: this.name, err: this.lastError, failures },
          'projection batch failed; backing off',
        );
      }
      const wait = failures === 0 ? pollIntervalMs : Math.min(30_000, pollIntervalMs * 2 ** failures);
      await sleep(wait, signal);
    }
  }
}

const letterKey = (d: DeadLetter) => `${d.resourceType}/${d.resourceId}`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
