/**
 * The one consumer of the FHIR store's change log (the transactional outbox). Projections, HL7 outbound planning
 * and (next) subscription notifications plug a FeedHandler into it; the consumer owns the loop:
 * - cursor: one batch = one transaction of the consumer's database: lock the cursor row, read the changes after it,
 *   let the handler apply them with `tx`, advance the cursor, commit. A crash anywhere before the commit leaves
 *   cursor and effects as they were (the batch runs again: at least once, and once in effect when the handler's
 *   writes are in `tx` or idempotent).
 * - one node at a time: the cursor row lock serialises batches across nodes; an optional lease keeps one node
 *   active for as long as it lives (see lease.ts).
 * - retries with backoff: a failed batch is rolled back and tried again after poll · 2^failures (capped); a batch
 *   the handler wants split (`isolateAfter`) runs again at once with `oneByOne`, so one bad change cannot hold the
 *   others back. Per-change failures are the handler's dead letters (sql-dead-letters.ts), retried on their own
 *   schedule by `retryDue`, called at most once per poll interval.
 * - lag: changes after the cursor (capped) and the age of the oldest of them.
 */
import type { Logger } from 'pino';
import type { ChangeRecord, ResourceStore } from '../store/resource-store.js';
import { backoffMs } from './backoff.js';
import type { FeedDb, FeedTx, SqlFeedCursor } from './feed-state.js';
import { everyNode, type FeedLease } from './lease.js';
import { Wakeup } from './wakeup.js';

export type BatchMode = {
  /** The batch is run again change by change (after an error `isolateAfter` accepted), to isolate a culprit. */
  oneByOne: boolean;
};

export interface FeedHandler {
  /**
   * Applies a batch inside `tx` (the cursor row is locked in it; the cursor moves past the batch on return).
   * Returns the number of effects (rows delivered, messages planned, notifications queued). Throwing rolls the
   * batch back: it is tried again with backoff.
   */
  handle(tx: FeedTx, changes: readonly ChangeRecord[], mode: BatchMode): Promise<number>;
  /** A failure of the whole batch after which it is run again at once with oneByOne (not counted as a failure). */
  isolateAfter?(error: unknown): boolean;
  /** Before each batch while this node is active (reload configuration when due). */
  prepare?(): Promise<void>;
  /** Automatic retries of the dead letters whose time has come; returns how many were delivered. */
  retryDue?(): Promise<number>;
  /** This node became active (holds the lease) or stopped being so; awaited before the lease is released. */
  onActive?(active: boolean): void | Promise<void>;
}

export type FeedConsumerOptions = {
  store: Pick<ResourceStore, 'changesAfter'>;
  /** The consumer's database: cursor, dead letters and (for projections and HL7 planning) the effects. */
  db: FeedDb;
  cursor: SqlFeedCursor;
  handler: FeedHandler;
  lease?: FeedLease;
  logger?: Logger;
  /** What the log lines call this consumer ('projection billing', 'HL7 outbound planning'). */
  label?: string;
  batchSize?: number;
  /** Wait between polls when caught up, and the base of the failure backoff (default 1 s). */
  pollIntervalMs?: number;
  /**
   * Wait when caught up, asked before each wait (default pollIntervalMs): a consumer woken by `nudge()` on writes can
   * wait long while it has nothing to do (subscriptions: none active).
   */
  idleWaitMs?: () => number;
  /** Upper bound of the backoff after failed batches (default 30 s). */
  maxBackoffMs?: number;
  /** After each committed batch: changes consumed, effects, new cursor (metrics, waking senders, tests). */
  onBatch?: (consumed: number, effects: number, cursor: number) => void;
};

export type FeedLag = {
  cursor: number;
  /** Effects so far (the cursor row's count). */
  count: number;
  /** Changes of the FHIR store after the cursor (capped at 1,000). */
  lagChanges: number;
  /** Age of the oldest unconsumed change, seconds (0 when caught up). */
  lagSeconds: number;
};

const LAG_CAP = 1000;

export class FeedConsumer {
  readonly name: string;
  private readonly abort = new AbortController();
  private readonly wake = new Wakeup();
  private running?: Promise<void>;
  private activeNow = false;
  private error: string | undefined;

  constructor(private readonly o: FeedConsumerOptions) {
    this.name = o.cursor.name;
  }

  /** This node holds the lease (always true without a lease, once the loop ran). */
  get active(): boolean {
    return this.activeNow;
  }

  /** The error of the last failed iteration, until an iteration succeeds. */
  get lastError(): string | undefined {
    return this.error;
  }

  /** Consumes one batch; returns the number of changes consumed (0 = caught up). Throws when the batch failed. */
  async runBatch(): Promise<number> {
    try {
      return await this.batch({ oneByOne: false });
    } catch (e) {
      if (!this.o.handler.isolateAfter?.(e)) throw e;
      this.o.logger?.warn(
        { feed: this.name, err: errorText(e) },
        `${this.label}: batch failed; running it change by change`,
      );
      return this.batch({ oneByOne: true });
    }
  }

  private async batch(mode: BatchMode): Promise<number> {
    const { store, db, cursor, handler } = this.o;
    const done = await db.transaction(async (tx) => {
      const at = await cursor.lock(tx);
      const changes = await store.changesAfter(at, this.o.batchSize ?? 200);
      const last = changes[changes.length - 1];
      if (!last) return undefined;
      const effects = await handler.handle(tx, changes, mode);
      await cursor.advance(tx, last.seq, effects, last.lastUpdated);
      return { consumed: changes.length, effects, cursor: last.seq };
    });
    if (!done) return 0;
    this.o.onBatch?.(done.consumed, done.effects, done.cursor);
    return done.consumed;
  }

  /** Runs `fn` in a transaction holding the cursor lock (no batch runs meanwhile): retries, rebuilds. */
  withCursorLocked<T>(fn: (tx: FeedTx, cursor: number) => Promise<T>): Promise<T> {
    return this.o.db.transaction(async (tx) => fn(tx, await this.o.cursor.lock(tx)));
  }

  async lag(): Promise<FeedLag> {
    const row = await this.o.cursor.read(this.o.db);
    const cursor = row?.cursor ?? 0;
    const behind = await this.o.store.changesAfter(cursor, LAG_CAP);
    const oldest = behind[0] ? Date.parse(behind[0].lastUpdated) : undefined;
    return {
      cursor,
      count: row?.count ?? 0,
      lagChanges: behind.length,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }

  /** True when every change committed so far is consumed (one cheap change-log read). */
  async caughtUp(): Promise<boolean> {
    const row = await this.o.cursor.read(this.o.db);
    return (await this.o.store.changesAfter(row?.cursor ?? 0, 1)).length === 0;
  }

  /** Starts the loop (returns at once). */
  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /** Wakes the loop (new work is known to be there). */
  nudge(): void {
    this.wake.wake();
  }

  /** Stops the loop after its current batch and releases the lease. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake.wake();
    await this.running;
    await this.setActive(false);
    await (this.o.lease ?? everyNode).release();
  }

  private async setActive(active: boolean): Promise<void> {
    if (active === this.activeNow) return;
    this.activeNow = active;
    // With a lease, which node does the work is worth a line (several nodes: exactly one says active).
    if (this.o.lease && this.o.lease !== everyNode)
      this.o.logger?.info(
        { feed: this.name, active },
        `${this.label}: ${active ? 'this node is the active one (holds the lease)' : 'this node stands by'}`,
      );
    await this.o.handler.onActive?.(active);
  }

  private get label(): string {
    return this.o.label ?? this.name;
  }

  /** Batches back to back while there is work, then waits pollIntervalMs; failures back off exponentially. */
  private async loop(): Promise<void> {
    const poll = this.o.pollIntervalMs ?? 1000;
    const lease = this.o.lease ?? everyNode;
    const signal = this.abort.signal;
    let failures = 0;
    let lastRetry = 0;
    while (!signal.aborted) {
      let consumed = 0;
      try {
        await this.setActive(await lease.held());
        if (this.activeNow) {
          await this.o.handler.prepare?.();
          consumed = await this.runBatch();
          if (this.o.handler.retryDue && Date.now() - lastRetry > poll) {
            lastRetry = Date.now();
            await this.o.handler.retryDue();
          }
        }
        failures = 0;
        this.error = undefined;
      } catch (e) {
        failures++;
        this.error = errorText(e);
        this.o.logger?.error({ feed: this.name, err: this.error, failures }, `${this.label} failed; backing off`);
      }
      if (consumed > 0) continue;
      await this.wake.sleep(
        failures === 0 ? (this.o.idleWaitMs?.() ?? poll) : backoffMs(poll * 2, failures, this.o.maxBackoffMs ?? 30_000),
        signal,
      );
    }
  }
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; sqlMessage?: string } | undefined;
  return `${err?.name ?? 'Error'}${err?.code ? ` [${err.code}]` : ''}: ${err?.sqlMessage ?? err?.message ?? String(e)}`.slice(
    0,
    2000,
  );
}
