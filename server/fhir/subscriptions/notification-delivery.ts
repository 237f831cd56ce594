/**
 * Delivers the queued events (notification_events) of each subscription in event-number order, one notification
 * per event, on the node that holds the feed's lease. A subscription's next event is sent only after the previous
 * one was accepted, so a receiver sees them in order; the delivered mark is written after the channel accepted (per
 * batch of up to 20 events), so a crash in between sends those again (at least once; receivers drop repeats by
 * event number).
 * A failure backs off (backoff.ts); after `failuresBeforeError` in a row the subscription's status becomes `error`
 * with the reason, and the engine keeps trying at the capped backoff: the first success makes it `active` again.
 *
 * Subscriptions R5 Backport IG: a topic-based rest-hook subscription is activated by a `handshake` notification
 * (status requested, no events) that the endpoint accepted; an unknown topic or a filter the topic does not allow
 * makes it `error` instead. A subscription with backport-heartbeat-period gets a `heartbeat` notification (the event
 * count so far, no events) when nothing was sent to it for that many seconds. Topic-based subscriptions always get a
 * bundle (payload `empty`: the status without focus); R4 ones with payload none get an empty POST as R4 says.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { backoffMs } from '../../change-feed/backoff.js';
import type { FeedDb } from '../../change-feed/feed-state.js';
import { Wakeup } from '../../change-feed/wakeup.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { notificationBundle } from './notification-bundle.js';
import {
  dueSubscriptions,
  eventsAfter,
  heartbeatRows,
  markDelivered,
  markFailed,
  nextRetryInMs,
  setRowStatus,
  type EventRow,
  type SubscriptionRow,
} from './notification-tables.js';
import { postNotification } from './rest-hook-channel.js';
import { parseSubscription, type ParsedSubscription } from './subscription-model.js';
import type { StatusWriter } from './subscription-status-writer.js';

const IDLE_CAP_MS = 30_000;
/** Events read, sent and marked delivered at a time per subscription. */
const BATCH = 20;
/** The most events one notification carries, whatever backport-max-count asks. */
const MAX_PER_NOTIFICATION = 100;

export type WebsocketPublisher = { publish(subscriptionId: string, messages: string[]): Promise<void> };

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
  /** Subscriptions served at once (default 8). */
  concurrency?: number;
  /** Called after each delivered event (metrics, the bench). */
  onDelivered?: (event: EventRow) => void;
  /** Why a topic-based subscription cannot be served (unknown topic, filters), or undefined (notification-queue.ts). */
  topicProblem?: (s: ParsedSubscription) => string | undefined;
};

export class NotificationDelivery {
  private readonly wake = new Wakeup();
  private abort?: AbortController;
  private running?: Promise<void>;

  constructor(private readonly o: DeliveryOptions) {}

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

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let worked: boolean;
      try {
        const due = await dueSubscriptions(this.o.db, 200);
        worked = due.length > 0;
        const queue = [...due];
        const workers = Array.from({ length: this.o.concurrency ?? 8 }, async () => {
          for (let row = queue.shift(); row && !signal.aborted; row = queue.shift()) await this.serve(row, signal);
        });
        await Promise.all(workers);
        // heartbeats: before every sleep, and at most once a second while busy
        if (!signal.aborted && (!worked || Date.now() - this.heartbeatsCheckedAt >= 1000))
          worked = (await this.heartbeats(signal)) || worked;
      } catch (error) {
        worked = false;
        this.o.logger?.error({ err: (error as Error).message }, 'subscription delivery failed; retrying');
      }
      if (!worked) await this.wake.sleep(await this.idleMs(), signal);
    }
  }

  /**
   * Nothing due: sleep until the earliest retry or heartbeat, or until nudged (new events, a subscription written);
   * 30 s at most.
   */
  private async idleMs(): Promise<number> {
    try {
      const retry = (await nextRetryInMs(this.o.db)) ?? IDLE_CAP_MS;
      return Math.min(IDLE_CAP_MS, Math.max(10, retry), Math.max(10, this.nextHeartbeatMs));
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
        await this.sendStatusOnly(s, row, 'heartbeat');
      } catch (error) {
        await this.failed(row, describe(error));
        continue;
      }
      await markDelivered(this.o.db, row.id, row.deliveredThrough);
      next = Math.min(next, period);
      await this.recovered(row);
    }
    this.nextHeartbeatMs = next;
    return sent;
  }

  /** A handshake or heartbeat: the status with the event count so far and no events. */
  private async sendStatusOnly(s: ParsedSubscription, row: SubscriptionRow, type: 'handshake' | 'heartbeat') {
    const bundle = notificationBundle(
      {
        baseUrl: this.o.baseUrl,
        subscriptionId: s.id,
        ...(s.topic && s.channel.payload !== 'none' ? { topic: s.topic.url } : {}),
        status: row.status,
        type,
        eventsSinceStart: type === 'handshake' ? 0 : row.eventsQueued,
      },
      [],
      s.channel.payload,
    );
    if (s.channel.type === 'rest-hook') await postNotification(s, undefined, bundle, timeoutOf(s));
    else await this.o.websockets.publish(s.id, [JSON.stringify(bundle)]);
  }

  private async recovered(row: SubscriptionRow): Promise<void> {
    if (row.status !== 'error') return;
    this.o.logger?.info({ subscription: row.id }, 'subscription endpoint recovered: active again');
    await setRowStatus(this.o.db, row.id, 'active');
    await this.o.writeStatus(row.id, 'active');
    row.status = 'active';
  }

  private async serve(row: SubscriptionRow, signal: AbortSignal): Promise<void> {
    let s: ParsedSubscription;
    try {
      s = parseSubscription(row.resource, this.o.resourceTypes);
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
          await this.sendStatusOnly(s, row, 'handshake');
        } catch (error) {
          await this.failed(row, `handshake: ${describe(error)}`);
          return;
        }
        await markDelivered(this.o.db, row.id, row.deliveredThrough);
      }
      await this.o.writeStatus(row.id, 'active');
      await setRowStatus(this.o.db, row.id, 'active');
      row.status = 'active';
    }
    // the delivered mark is written per batch of events (and before a failure is recorded): a crash resends at
    // most that batch, which receivers drop by event number
    let through = row.deliveredThrough;
    let marked = through;
    const mark = async () => {
      if (through > marked) await markDelivered(this.o.db, row.id, through);
      marked = through;
    };
    try {
      while (!signal.aborted) {
        // topic-based with backport-max-count: up to that many queued events per notification
        const perNotification = s.topic ? Math.min(s.channel.maxCount ?? 1, MAX_PER_NOTIFICATION) : 1;
        const events = await eventsAfter(this.o.db, row.id, through, Math.max(BATCH, perNotification));
        if (events.length === 0) return;
        for (let i = 0; i < events.length; i += perNotification) {
          if (signal.aborted) return;
          const group = events.slice(i, i + perNotification);
          try {
            await this.send(s, row, group);
          } catch (error) {
            await mark();
            await this.failed(row, describe(error));
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

  /** One notification of `events` (in order; one unless the subscription sets backport-max-count). */
  private async send(s: ParsedSubscription, row: SubscriptionRow, events: EventRow[]): Promise<void> {
    const last = events[events.length - 1] as EventRow;
    const resources: Array<Resource | undefined> = [];
    if (s.channel.payload === 'full-resource')
      for (const event of events)
        resources.push(
          event.deleted
            ? undefined
            : ((await this.o.store.vread(event.resourceType, event.resourceId, event.versionId))?.resource ??
                undefined),
        );
    const bundle =
      s.channel.payload === 'none' && s.channel.type === 'rest-hook' && !s.topic
        ? undefined
        : notificationBundle(
            {
              baseUrl: this.o.baseUrl,
              subscriptionId: s.id,
              ...(s.topic && s.channel.payload !== 'none' ? { topic: s.topic.url } : {}),
              status: row.status,
              type: 'event-notification',
              eventsSinceStart: last.eventNumber,
            },
            events,
            s.channel.payload,
            resources,
          );
    if (s.channel.type === 'rest-hook') await postNotification(s, last.eventNumber, bundle, timeoutOf(s));
    else await this.o.websockets.publish(s.id, [`ping ${s.id}`, ...(bundle ? [JSON.stringify(bundle)] : [])]);
  }

  private async failed(row: SubscriptionRow, reason: string): Promise<void> {
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

function timeoutOf(s: ParsedSubscription): number {
  return (s.channel.timeoutSeconds ?? 10) * 1000;
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}
