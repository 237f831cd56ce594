/**
 * Notification bundles as the Subscriptions R5 Backport IG shapes them for R4: a `history` Bundle whose first entry
 * is the SubscriptionStatus (a Parameters resource: subscription, topic, status, type, events-since-subscription-
 * start, notification-event with event-number and focus), followed by the changed resources (full-resource) or
 * nothing more (id-only keeps the focus references; empty keeps neither).
 */
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { PayloadContent } from './subscription-model.js';
import type { EventRow } from './notification-tables.js';

export const STATUS_PROFILE =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4';
export const NOTIFICATION_PROFILE =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification-r4';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export type StatusArgs = {
  baseUrl: string;
  subscriptionId: string;
  topic?: string;
  status: string;
  type: NotificationType;
  eventsSinceStart: number;
  error?: string;
};

export function subscriptionStatus(a: StatusArgs, events: readonly EventRow[], payload: PayloadContent): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: `${a.baseUrl}/Subscription/${a.subscriptionId}` } },
    ...(a.topic ? [{ name: 'topic', valueCanonical: a.topic }] : []),
    { name: 'status', valueCode: a.status },
    { name: 'type', valueCode: a.type },
    { name: 'events-since-subscription-start', valueString: String(a.eventsSinceStart) },
    ...events.map((e) => ({
      name: 'notification-event',
      part: [
        { name: 'event-number', valueString: String(e.eventNumber) },
        { name: 'timestamp', valueInstant: e.occurredAt },
        ...(payload === 'none' ? [] : [{ name: 'focus', valueReference: { reference: focusOf(a.baseUrl, e) } }]),
      ],
    })),
    ...(a.error ? [{ name: 'error', valueCodeableConcept: { text: a.error } }] : []),
  ];
  return { resourceType: 'Parameters', meta: { profile: [STATUS_PROFILE] }, parameter };
}

/** `events` in order; `resources` the content of each event (undefined for deletes), for full-resource payloads. */
export function notificationBundle(
  a: StatusArgs,
  events: readonly EventRow[],
  payload: PayloadContent,
  resources: ReadonlyArray<Resource | undefined> = [],
): Bundle {
  const entries: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${crypto.randomUUID()}`,
      resource: subscriptionStatus(a, events, payload),
      request: { method: 'GET', url: `Subscription/${a.subscriptionId}/$status` },
      response: { status: '200' },
    },
  ];
  if (payload === 'full-resource')
    events.forEach((e, i) => {
      const resource = resources[i];
      entries.push({
        fullUrl: `${a.baseUrl}/${e.resourceType}/${e.resourceId}`,
        ...(resource && !e.deleted ? { resource } : {}),
        request: {
          method: e.deleted ? 'DELETE' : e.versionId === 1 ? 'POST' : 'PUT',
          url: e.versionId === 1 && !e.deleted ? e.resourceType : `${e.resourceType}/${e.resourceId}`,
        },
        response: { status: e.deleted ? '204' : e.versionId === 1 ? '201' : '200' },
      });
    });
  return {
    resourceType: 'Bundle',
    meta: { profile: [NOTIFICATION_PROFILE] },
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: entries,
  };
}

function focusOf(baseUrl: string, e: EventRow): string {
  return `${baseUrl}/${e.resourceType}/${e.resourceId}/_history/${e.versionId}`;
}
