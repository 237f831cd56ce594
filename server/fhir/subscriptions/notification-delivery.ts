/**
 * Delivers the queued events (notification_events) of each subscription in event-number order, one notification
 * per event (or up to backport-max-count per bundle), on the node that holds the feed's lease. Each subscription with
 * something due gets a lane: lanes of different subscriptions run concurrently (up to `concurrency`), a lane sends
 * one notification at a time, the next only after the previous was accepted, so a receiver sees them in order. The
 * delivered mark is written after the channel accepted, once per batch of up to 100 events read together, so a crash
 * in between sends those again (at least once; receivers drop repeats by event number). Delivered events older than
 * `retentionSeconds` after they were queued (SUBSCRIPTION_EVENTS_RETENTION_SECONDS, default a day: `$events`) are
 * dropped by a sweep once a minute (or once per retention period when shorter), not on the hot path.
 * A failure backs off (backoff.ts); after `failuresBeforeError` in a row the subscription's status becomes `error`
 * with the reason, and the engine keeps trying at the capped backoff: the first success makes it `active` again.
 *
 * Subscriptions R5 Backport IG: a topic-based rest-hook subscription is activated by a `handshake` notification
 * (status requested, no events) that the endpoint accepted; an unknown topic or a filter the topic does not allow
 * makes it `error` instead. A subscription with backport-heartbeat-period gets a `heartbeat` notification (the event
 * count so far, no events) when nothing was sent to it for that many seconds. Topic-based subscriptions always get a
 * bundle (payload `empty`: the status without focus); R4 ones with payload none get an empty POST as R4 says.
 */
import type { Logger } from 'pino';
import { backoffMs } from '../../change-feed/backoff.js';
import type { FeedDb } from '../../change-feed/feed-state.js';
import { Wakeup } from '../../change-feed/wakeup.js';
import type { ResourceStore } from '../../store/resource-store.js';
import {
  dropDeliveredEvents,
  dueSubscriptions,
  eventsAfter,
  heartbeatRows,
  markDelivered,
  markDeliveredMany,
  markFailed,
  nextRetryInMs,
  readSubscriptionRow,
  resourceKeyOf,
  setRowStatus,
  type DueRow,
  type EventRow,
  type SubscriptionRow,
} from './notification-tables.js';
import {
  describeFailure,
  eventsPerNotification,
  MAX_PER_NOTIFICATION,
  sendEvents,
  sendStatusOnly,
  type SenderOptions,
  type WebsocketPublisher,
} from './notification-sender.js';
import { parseSubscription, type ParsedSubscription } from './subscription-model.js';
import type { StatusWriter } from './subscription-status-writer.js';

export type { WebsocketPublisher } from './notification-sender.js';

const IDLE_CAP_MS = 30_000;
/** Longest wait for more lanes to end before the due subscriptions are looked up again (roundWaitMs). */
const ROUND_MS = 20;
/** Events read, sent and marked delivered at a time per subscription. */
const BATCH = MAX_PER_NOTIFICATION;
/** The retention sweep runs once a minute, or every retention period when that is shorter (at least once a second). */
const SWEEP_EVERY_MS = 60_000;
const DEFAULT_RETENTION_SECONDS = 86_400;

export type DeliveryOptions = {
  db: FeedDb;
  store: ResourceStore;
  baseUrl: string;
  resourceTypes: ReadonlySet<string>;
  writeStatus: StatusWriter;
  websockets: WebsocketPublisher;
  logger?: Logger;
  failuresBeforeError?: number;
  /** Base of the retry backoff (default 1 s) and its cap (default 60 s). */
  retryBaseMs?: number;
  maxRetryMs?: number;
  /** Subscriptions served at once (default 128). */
  concurrency?: number;
  /** How long delivered events are kept for $events, after they were queued (default 86,400 s). */
  retentionSeconds?: number;
  /** Called after each delivered event (metrics, the bench). */
  onDelivered?: (event: EventRow) => void;
  /** Why a topic-based subscription cannot be served (unknown topic, filters), or undefined (notification-queue.ts). */
  topicProblem?: (s: ParsedSubscription) => string | undefined;
};

export class NotificationDelivery {
  private readonly wake = new Wakeup();
  private abort?: AbortController;
  private running?: Promise<void>;
  /** Subscriptions being served, by id (one lane per subscription: its notifications stay in order). */
  private readonly lanes = new Map<string, Promise<void>>();
  /** Subscription resources (and their parse), by id, with the resourceKey they were read with. */
  private readonly parsed = new Map<
    string,
    { key: string; resource: SubscriptionRow['resource']; parsed?: ParsedSubscription }
  >();
  private readonly sender: SenderOptions;
  private sweptAt = Date.now();
  /** Delivered marks of all lanes, written together. */
  private readonly marks: MarkBatcher;

  constructor(private readonly o: DeliveryOptions) {
    this.sender = { store: o.store, baseUrl: o.baseUrl, websockets: o.websockets };
    this.marks = new MarkBatcher(o.db);
  }

  start(): void {
    if (this.running) return;
    const abort = (this.abort = new AbortController());
    this.running = this.loop(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    this.wake.wake();
    await this.running;
    this.running = undefined;
  }

  nudge(): void {
    this.wake.wake();
  }

  private get retentionSeconds(): number {
    return this.o.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  }

  private get sweepEveryMs(): number {
    return Math.min(SWEEP_EVERY_MS, Math.max(1000, this.retentionSeconds * 1000));
  }

  private get concurrency(): number {
    return this.o.concurrency ?? 128;
  }

  /** When the due subscriptions were last looked up (startLanes). */
  private dueReadAt = 0;

  /**
   * Milliseconds to wait before looking up due subscriptions again (0: now). Lanes end one by one; a lookup for each
   * freed lane would cost one due-subscriptions statement per notification when each subscription has one event. With
   * lanes running, the lookup waits until a quarter of them are free or ROUND_MS passed since the last one (a lane
   * ending wakes the loop, so the wait is at most ROUND_MS).
   */
  private roundWaitMs(): number {
    const free = this.concurrency - this.lanes.size;
    if (free <= 0) return Number.POSITIVE_INFINITY;
    if (this.lanes.size === 0 || free >= this.concurrency / 4) return 0;
    return Math.max(0, this.dueReadAt + ROUND_MS - Date.now());
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let started = 0;
      let worked = false;
      try {
        const wait = this.roundWaitMs();
        if (wait > 0 && Number.isFinite(wait)) {
          await this.wake.sleep(wait, signal);
          continue;
        }
        if (wait === 0) started = await this.startLanes(signal);
        // heartbeats: before every sleep, and at most once a second while busy
        if (!signal.aborted && started === 0 && Date.now() - this.heartbeatsCheckedAt >= (this.lanes.size ? 1000 : 0))
          worked = await this.heartbeats(signal);
        if (!signal.aborted && !this.sweeping && Date.now() - this.sweptAt >= this.sweepEveryMs)
          this.sweeping = this.sweep();
      } catch (error) {
        this.o.logger?.error({ err: (error as Error).message }, 'subscription delivery failed; retrying');
        await this.wake.sleep(1000, signal);
        continue;
      }
      if (started > 0 || worked) continue;
      // nothing new to start: sleep until nudged (new events), a lane ends, or the earliest retry or heartbeat
      await this.wake.sleep(this.lanes.size > 0 ? 1000 : await this.idleMs(), signal);
    }
    await Promise.all([...this.lanes.values(), this.sweeping]);
  }

  /** Starts a lane for each due subscription without one (up to `concurrency`); returns how many started. */
  private async startLanes(signal: AbortSignal): Promise<number> {
    // a lane that ends while the query runs has marked what it delivered; its row may be older: skip it this round
    const busy = new Set(this.lanes.keys());
    this.dueReadAt = Date.now();
    const due = await dueSubscriptions(this.o.db, Math.max(0, this.concurrency - busy.size), [...busy], BATCH);
    let started = 0;
    for (const row of due) {
      if (this.lanes.size >= this.concurrency || signal.aborted) break;
      if (busy.has(row.id) || this.lanes.has(row.id)) continue;
      started++;
      const lane = this.serve(row, signal)
        .catch((error: unknown) =>
          this.o.logger?.error({ subscription: row.id, err: (error as Error).message }, 'subscription lane failed'),
        )
        .finally(() => {
          this.lanes.delete(row.id);
          this.wake.wake();
        });
      this.lanes.set(row.id, lane);
    }
    return started;
  }

  /** The subscription row with its resource (read again only when it changed since the last lane). */
  private async withResource(due: DueRow): Promise<{ row: SubscriptionRow; parsed?: ParsedSubscription } | undefined> {
    const { resourceKey, events: _events, eventsLimit: _limit, ...row } = due;
    let cached = this.parsed.get(due.id);
    if (cached?.key !== resourceKey) {
      const full = await readSubscriptionRow(this.o.db, due.id);
      if (!full) return undefined;
      cached = { key: resourceKeyOf(full.resource), resource: full.resource };
      this.parsed.set(due.id, cached);
    }
    return { row: { ...row, resource: cached.resource }, ...(cached.parsed ? { parsed: cached.parsed } : {}) };
  }

  /** The retention sweep in progress (beside the lanes: it only drops events already delivered). */
  private sweeping?: Promise<void>;

  private async sweep(): Promise<void> {
    this.sweptAt = Date.now();
    try {
      const dropped = await dropDeliveredEvents(this.o.db, this.retentionSeconds);
      if (dropped > 0) this.o.logger?.debug({ dropped }, 'delivered subscription events past retention dropped');
    } catch (error) {
      this.o.logger?.warn({ err: (error as Error).message }, 'dropping old subscription events failed');
    } finally {
      this.sweeping = undefined;
    }
  }

  /**
   * Nothing due: sleep until the earliest retry, heartbeat or retention sweep, or until nudged (new events, a
   * subscription written); 30 s at most.
   */
  private async idleMs(): Promise<number> {
    try {
      const retry = (await nextRetryInMs(this.o.db)) ?? IDLE_CAP_MS;
      const sweep = this.sweptAt + this.sweepEveryMs - Date.now();
      return Math.min(IDLE_CAP_MS, Math.max(10, retry), Math.max(10, this.nextHeartbeatMs), Math.max(10, sweep));
    } catch {
      return 1000;
    }
  }

  /** Milliseconds until the next heartbeat is due (as of the last look), and when that look was. */
  private nextHeartbeatMs = IDLE_CAP_MS;
  private heartbeatsCheckedAt = 0;

  /** Sends the heartbeats that are due; true when one was sent (or failed). */
  private async heartbeats(signal: AbortSignal): Promise<boolean> {
    const now = (this.heartbeatsCheckedAt = Date.now());
    let next = IDLE_CAP_MS;
    let sent = false;
    for (const row of await heartbeatRows(this.o.db)) {
      if (signal.aborted) break;
      if (this.lanes.has(row.id)) continue;
      let s: ParsedSubscription;
      try {
        s = parseSubscription(row.resource, this.o.resourceTypes);
      } catch {
        continue;
      }
      const period = (s.channel.heartbeatSeconds ?? 0) * 1000;
      if (period <= 0) continue;
      const since = Date.parse(row.lastDeliveryAt ?? '') || 0;
      const retryAt = Date.parse(row.nextAttemptAt ?? '') || 0;
      const dueAt = Math.max(since + period, retryAt);
      if (dueAt > now) {
        next = Math.min(next, dueAt - now);
        continue;
      }
      sent = true;
      try {
        await sendStatusOnly(this.sender, s, row, 'heartbeat');
      } catch (error) {
        await this.failed(row, describeFailure(error));
        continue;
      }
      await markDelivered(this.o.db, row.id, row.deliveredThrough);
      next = Math.min(next, period);
      await this.recovered(row);
    }
    this.nextHeartbeatMs = next;
    return sent;
  }

  private async recovered(row: Pick<SubscriptionRow, 'id' | 'status'>): Promise<void> {
    if (row.status !== 'error') return;
    this.o.logger?.info({ subscription: row.id }, 'subscription endpoint recovered: active again');
    await setRowStatus(this.o.db, row.id, 'active');
    await this.o.writeStatus(row.id, 'active');
    row.status = 'active';
  }

  private async serve(due: DueRow, signal: AbortSignal): Promise<void> {
    const found = await this.withResource(due);
    if (!found) return;
    const { row } = found;
    let s: ParsedSubscription;
    try {
      s = found.parsed ?? parseSubscription(row.resource, this.o.resourceTypes);
      const entry = this.parsed.get(row.id);
      if (entry) entry.parsed = s;
    } catch (error) {
      await setRowStatus(this.o.db, row.id, 'error');
      await this.o.writeStatus(row.id, 'error', (error as Error).message);
      return;
    }
    if (row.status === 'requested') {
      const problem = this.o.topicProblem?.(s);
      if (problem) {
        await setRowStatus(this.o.db, row.id, 'error');
        await this.o.writeStatus(row.id, 'error', problem);
        return;
      }
      if (s.topic && s.channel.type === 'rest-hook') {
        try {
          await sendStatusOnly(this.sender, s, row, 'handshake');
        } catch (error) {
          await this.failed(row, `handshake: ${describeFailure(error)}`);
          return;
        }
        await markDelivered(this.o.db, row.id, row.deliveredThrough);
      }
      await this.o.writeStatus(row.id, 'active');
      await setRowStatus(this.o.db, row.id, 'active');
      row.status = 'active';
    }
    // the delivered mark is written per batch of events read (and before a failure is recorded): a crash resends at
    // most that batch, which receivers drop by event number. Marks of lanes ending together go in one statement.
    let through = row.deliveredThrough;
    let marked = through;
    const mark = async () => {
      if (through > marked) await this.marks.mark(row.id, through);
      marked = through;
    };
    // the first events came with the due row; read on only while the counter read with it says more wait (events
    // queued since then make the subscription due again: the next round of startLanes, woken when this lane ends)
    let events: EventRow[] | undefined = due.events;
    try {
      while (!signal.aborted) {
        if (!events) {
          if (through >= row.eventsQueued) return;
          events = await eventsAfter(this.o.db, row.id, through, BATCH);
        }
        if (events.length === 0) return;
        const perNotification = eventsPerNotification(s, Math.max(events.length, row.eventsQueued - through));
        const batch = events;
        events = undefined;
        for (let i = 0; i < batch.length; i += perNotification) {
          if (signal.aborted) return;
          const group = batch.slice(i, i + perNotification);
          try {
            await sendEvents(this.sender, s, row, group);
          } catch (error) {
            await mark();
            await this.failed(row, describeFailure(error));
            return;
          }
          through = (group[group.length - 1] as EventRow).eventNumber;
          for (const event of group) this.o.onDelivered?.(event);
          await this.recovered(row);
        }
        await mark();
      }
    } finally {
      await mark();
    }
  }

  private async failed(row: Pick<SubscriptionRow, 'id' | 'status' | 'failures'>, reason: string): Promise<void> {
    const wait = backoffMs(this.o.retryBaseMs ?? 1000, row.failures + 1, this.o.maxRetryMs ?? 60_000);
    const failures = await markFailed(this.o.db, row.id, reason, wait);
    this.o.logger?.warn({ subscription: row.id, failures, err: reason }, 'subscription notification failed');
    if (failures >= (this.o.failuresBeforeError ?? 3) && row.status !== 'error') {
      await setRowStatus(this.o.db, row.id, 'error');
      await this.o.writeStatus(row.id, 'error', `notifications failed ${failures} times: ${reason}`);
      row.status = 'error';
    }
  }
}

/**
 * Delivered marks written as one statement for every lane that asked meanwhile: while one write is in flight, the
 * marks asked go in the next. Each caller waits for the write holding its mark (a failed write fails them all: their
 * events are sent again, at least once).
 */
class MarkBatcher {
  private waiting: Array<{ id: string; through: number; done: (error?: Error) => void }> = [];
  private writing = false;

  constructor(private readonly db: DeliveryOptions['db']) {}

  mark(id: string, through: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ id, through, done: (error) => (error ? reject(error) : resolve()) });
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await markDeliveredMany(this.db, batch);
          for (const m of batch) m.done();
        } catch (error) {
          for (const m of batch) m.done(error as Error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
