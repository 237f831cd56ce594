/**
 * One notification on a subscription's channel: events (in order) or a status-only handshake/heartbeat, as a rest-hook
 * POST or websocket messages through the fan-out. Throws when the channel did not accept it.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import { notificationBundle } from './notification-bundle.js';
import type { EventRow, SubscriptionRow } from './notification-tables.js';
import { postNotification } from './rest-hook-channel.js';
import type { ParsedSubscription } from './subscription-model.js';

/** The most events one notification carries, whatever backport-max-count asks. */
export const MAX_PER_NOTIFICATION = 100;

export type WebsocketPublisher = { publish(subscriptionId: string, messages: string[]): Promise<void> };

export type SenderOptions = {
  store: ResourceStore;
  baseUrl: string;
  websockets: WebsocketPublisher;
};

/** Undelivered events of a subscription beyond which a bundle carries several of them when it did not set how many. */
export const BACKLOG_BEFORE_BUNDLING = 20;

/**
 * Events per notification, with `backlog` events waiting: 1 when the notification is no bundle (an R4 rest-hook
 * without payload is an empty POST per event); else backport-max-count when the subscription sets it (at most 100);
 * else (the Backport IG leaves the count to the server then) 1 while the backlog is small, as a receiver of one event
 * per notification expects, and up to 100 once more than BACKLOG_BEFORE_BUNDLING wait: a receiver one round trip at
 * a time behind the writes catches up instead of falling further behind.
 */
export function eventsPerNotification(s: ParsedSubscription, backlog = 1): number {
  if (isEmptyPost(s)) return 1;
  if (s.channel.maxCount !== undefined) return Math.min(s.channel.maxCount, MAX_PER_NOTIFICATION);
  return backlog > BACKLOG_BEFORE_BUNDLING ? MAX_PER_NOTIFICATION : 1;
}

function isEmptyPost(s: ParsedSubscription): boolean {
  return s.channel.payload === 'none' && s.channel.type === 'rest-hook' && !s.topic;
}

/** One notification of `events` (in order; one unless the subscription sets backport-max-count). */
export async function sendEvents(
  o: SenderOptions,
  s: ParsedSubscription,
  row: Pick<SubscriptionRow, 'status'>,
  events: EventRow[],
): Promise<void> {
  const last = events[events.length - 1] as EventRow;
  const resources: Array<Resource | undefined> = [];
  if (s.channel.payload === 'full-resource')
    for (const event of events)
      resources.push(
        event.deleted
          ? undefined
          : ((await o.store.vread(event.resourceType, event.resourceId, event.versionId))?.resource ?? undefined),
      );
  const bundle = isEmptyPost(s)
    ? undefined
    : notificationBundle(
        {
          baseUrl: o.baseUrl,
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
  else await o.websockets.publish(s.id, [`ping ${s.id}`, ...(bundle ? [JSON.stringify(bundle)] : [])]);
}

/** A handshake or heartbeat: the status with the event count so far and no events. */
export async function sendStatusOnly(
  o: SenderOptions,
  s: ParsedSubscription,
  row: Pick<SubscriptionRow, 'status' | 'eventsQueued'>,
  type: 'handshake' | 'heartbeat',
): Promise<void> {
  const bundle = statusOnlyBundle(o.baseUrl, s, row, type, type === 'handshake' ? 0 : row.eventsQueued);
  if (s.channel.type === 'rest-hook') await postNotification(s, undefined, bundle, timeoutOf(s));
  else await o.websockets.publish(s.id, [JSON.stringify(bundle)]);
}

/** The bundle of a handshake or heartbeat (also sent on a socket bound with a binding token: websocket-hub.ts). */
export function statusOnlyBundle(
  baseUrl: string,
  s: ParsedSubscription,
  row: Pick<SubscriptionRow, 'status'>,
  type: 'handshake' | 'heartbeat',
  eventsSinceStart: number,
): Bundle {
  return notificationBundle(
    {
      baseUrl,
      subscriptionId: s.id,
      ...(s.topic && s.channel.payload !== 'none' ? { topic: s.topic.url } : {}),
      status: row.status,
      type,
      eventsSinceStart,
    },
    [],
    s.channel.payload,
  );
}

function timeoutOf(s: ParsedSubscription): number {
  return (s.channel.timeoutSeconds ?? 10) * 1000;
}

/** An error of a channel as one line for last_error. */
export function describeFailure(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}
