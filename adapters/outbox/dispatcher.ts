/**
 * Delivers the FHIR store's change log (transactional outbox) to one projection, at least once and in order
 * per resource. One batch = one target transaction: lock the cursor row (one dispatcher per projection across
 * nodes), deliver each change in a savepoint, write the batch's high-rate rows, advance the cursor, commit.
 * A change that fails goes to the dead letters (its later versions are held behind it); a connection-level
 * failure rolls the whole batch back and is retried with exponential backoff. Dead letters are retried
 * automatically on a backoff schedule (attempts 1…maxAttempts), then only by retryDeadLetter().
 */
import type { Logger } from 'pino';
import type { ChangeRecord, ResourceStore } from '../../server/store/resource-store.js';
import { deliverChange, errorText, inSavepoint, rowsForChange } from './deliver.js';
import type { Projection } from './projection.js';
import {
  clearDeadLetter,
  dueDeadLetters,
  holdBehind,
  listDeadLetters,
  lockCursor,
  readCursor,
  recordFailure,
  saveCursor,
  type DeadLetter,
} from './projection-state.js';
import { applyRows, BulkRows } from './row-writer.js';
import { isTransient, type SqlClient, type SqlTx } from './sql-client.js';

export type DispatcherOptions = {
  store: ResourceStore;
  projection: Projection;
  db: SqlClient;
  logger?: Logger;
  batchSize?: number;
  /** Automatic retries of a dead letter before it waits for retryDeadLetter(). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  retryBaseMs?: number;
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
  deadLetters: DeadLetter[];
  lastError?: string;
};

const utcNow = () => new Date().toISOString().slice(0, 23);

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
      const blocked = new Set(
        (await listDeadLetters(tx, projection.name)).map((d) => `${d.resourceType}/${d.resourceId}`),
      );
      const delivered = await this.deliverList(tx, changes, blocked, batched);
      const last = changes[changes.length - 1]!;
      await saveCursor(tx, projection.name, last.seq, delivered, last.lastUpdated);
      this.o.onBatch?.(delivered, last.seq);
      return changes.length;
    });
  }

  /** Delivers changes in order inside `tx`: failures become dead letters, later versions of a blocked resource are held. */
  private async deliverList(
    tx: SqlTx,
    changes: ChangeRecord[],
    blocked: Set<string>,
    batched: boolean,
    rebuilding = false,
  ): Promise<number> {
    const { store, projection } = this.o;
    const bulk = new BulkRows();
    let delivered = 0;
    // Read and map every accepted change first (no target writes yet). Versions that are still current come
    // from one readMany; older ones (the resource changed again since) are vread one by one.
    const accepted = changes.filter((c) => projection.accepts(c.resourceType) && !c.deleted);
    const current = new Map(
      (await store.readMany(accepted.map((c) => ({ resourceType: c.resourceType, id: c.id })))).map((v) => [
        `${v.resourceType}/${v.id}`,
        v,
      ]),
    );
    const mapped = await Promise.all(
      changes.map(async (change) => {
        if (!projection.accepts(change.resourceType)) return undefined;
        try {
          return {
            writes: await rowsForChange(
              store,
              projection,
              change,
              current.get(`${change.resourceType}/${change.id}`),
              rebuilding,
            ),
          };
        } catch (error) {
          if (isTransient(error)) throw error;
          return { error };
        }
      }),
    );
    for (const [i, change] of changes.entries()) {
      const m = mapped[i];
      if (!m) continue;
      const key = `${change.resourceType}/${change.id}`;
      if (blocked.has(key)) {
        await holdBehind(tx, projection.name, change.resourceType, change.id, change.versionId);
        continue;
      }
      try {
        if ('error' in m) throw m.error;
        if (m.writes.length > 0)
          await inSavepoint(tx, 'delivery', async () => {
            await applyRows(tx, m.writes, bulk);
            if (!batched) await bulk.flush(tx);
          });
        delivered++;
      } catch (e) {
        if (isTransient(e)) throw e;
        blocked.add(key);
        await this.fail(tx, change, e);
      }
      if (bulk.size >= 2000) await this.flush(tx, bulk);
    }
    await this.flush(tx, bulk);
    return delivered;
  }

  /**
   * Rebuilds the projection from the FHIR store in one target transaction (other nodes' dispatchers wait on the
   * cursor lock): removes the rows projected from FHIR and the dead letters, delivers the newest version of every
   * resource in commit order, and sets the cursor to the store's last change.
   */
  async rebuild(
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ resources: number; deadLetters: number; cursor: number }> {
    const { store, projection, db } = this.o;
    return db.transaction(async (tx) => {
      await lockCursor(tx, projection.name);
      for (const c of projection.rebuildClears) await tx.query(`DELETE FROM ${c.table} WHERE ${c.where}`);
      await tx.query('DELETE FROM projection_dead_letters WHERE projection = ?', [projection.name]);
      // Newest version of each resource, in the order the resources were created (references point backwards).
      const latest = new Map<string, { first: number; change: ChangeRecord }>();
      let cursor = 0;
      for (;;) {
        const page = await store.changesAfter(cursor, 5000);
        if (page.length === 0) break;
        for (const c of page) {
          if (!projection.accepts(c.resourceType)) continue;
          const key = `${c.resourceType}/${c.id}`;
          latest.set(key, { first: latest.get(key)?.first ?? c.seq, change: c });
        }
        cursor = page[page.length - 1]!.seq;
      }
      // A deleted resource: its last live version, then the delete (soft-deleted rows come back as such).
      const todo = [...latest.values()]
        .sort((a, b) => a.first - b.first)
        .flatMap(({ change: c }) =>
          c.deleted ? (c.versionId > 1 ? [{ ...c, versionId: c.versionId - 1, deleted: false }, c] : []) : [c],
        );
      const blocked = new Set<string>();
      for (let i = 0; i < todo.length; i += 200) {
        await this.deliverList(tx, todo.slice(i, i + 200), blocked, true, true);
        onProgress?.(Math.min(i + 200, todo.length), todo.length);
      }
      // Forward references (a resource created before one it points to): retry the failures until no progress.
      for (let progress = true; progress && blocked.size > 0;) {
        progress = false;
        for (const letter of await listDeadLetters(tx, projection.name)) {
          if (await this.retryIn(tx, letter)) {
            blocked.delete(`${letter.resourceType}/${letter.resourceId}`);
            progress = true;
          }
        }
      }
      await tx.query('UPDATE projection_state SET cursor_seq = ?, delivered = ? WHERE projection = ?', [
        cursor,
        todo.length - blocked.size,
        projection.name,
      ]);
      return { resources: todo.length, deadLetters: blocked.size, cursor };
    });
  }

  private async flush(tx: SqlTx, bulk: BulkRows): Promise<void> {
    try {
      await bulk.flush(tx);
    } catch (e) {
      throw isTransient(e) ? e : new BatchFlushError(e);
    }
  }

  private async fail(tx: SqlTx, change: ChangeRecord, e: unknown): Promise<void> {
    const error = errorText(e);
    this.o.logger?.warn(
      { projection: this.name, resource: `${change.resourceType}/${change.id}`, version: change.versionId, err: error },
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

  /**
   * Retries a dead letter: delivers its versions from the failing one to the newest held behind it, in order.
   * Success removes it; a failure records the attempt (and the next automatic retry). Returns true on success.
   */
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
    const { store, projection } = this.o;
    const { resourceType, resourceId } = letter;
    const bulk = new BulkRows();
    for (let v = letter.failedVersion; v <= letter.latestVersion; v++) {
      const stored = await store.vread(resourceType, resourceId, v);
      const change = { resourceType, id: resourceId, versionId: v, deleted: stored?.deleted ?? false };
      try {
        await inSavepoint(tx, 'retry', async () => {
          await deliverChange(tx, store, projection, change, bulk);
          await bulk.flush(tx);
        });
      } catch (e) {
        if (isTransient(e)) throw e;
        await recordFailure(tx, {
          projection: this.name,
          resourceType,
          resourceId,
          version: v,
          seq: letter.seq,
          error: errorText(e),
          now: utcNow(),
          nextAttemptAt: this.nextAttemptAt,
        });
        return false;
      }
    }
    await clearDeadLetter(tx, projection.name, resourceType, resourceId);
    await tx.query('UPDATE projection_state SET delivered = delivered + ? WHERE projection = ?', [
      letter.latestVersion - letter.failedVersion + 1,
      projection.name,
    ]);
    return true;
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
    return {
      projection: this.name,
      cursor,
      delivered,
      lagChanges: behind.length,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      deadLetters: await listDeadLetters(this.o.db, this.name),
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

class BatchFlushError extends Error {
  constructor(readonly failure: unknown) {
    super(errorText(failure));
    this.name = 'BatchFlushError';
  }
}

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
