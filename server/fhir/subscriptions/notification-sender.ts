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

/**
 * Events per notification: backport-max-count (at most 100) when the notification is a bundle, which can list several
 * notification-events; 1 otherwise (an R4 rest-hook without payload is an empty POST per event), and 1 by default.
 */
export function eventsPerNotification(s: ParsedSubscription): number {
  return isEmptyPost(s) ? 1 : Math.min(s.channel.maxCount ?? 1, MAX_PER_NOTIFICATION);
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
