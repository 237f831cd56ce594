/**
 * The Subscriptions R5 Backport IG's operations, answered from the delivery bookkeeping (notification-tables.ts):
 *
 * - `Subscription/[id]/$status` and `Subscription/$status?id=…&status=…` (GET or POST): a searchset Bundle of
 *   SubscriptionStatus (Parameters, type `query-status`): status, topic, events-since-subscription-start (events
 *   numbered so far), the error if any. Type level lists the Subscriptions the caller may read.
 * - `Subscription/[id]/$events?eventsSinceNumber=&eventsUntilNumber=&content=` (GET or POST): a notification Bundle
 *   (history, status first, type `query-event`) of the events still kept, at most 500 from eventsSinceNumber on.
 *   Events are kept until delivered, and delivered ones until SUBSCRIPTION_EVENTS_RETENTION_SECONDS (default a day)
 *   after they were queued (a sweep of the delivery drops older delivered events: notification-delivery.ts,
 *   dropDeliveredEvents); older ones are not answered. `content`
 *   (empty / id-only / full-resource) overrides the subscription's payload; full resources only those the caller may
 *   read now.
 *
 * Both need a caller that may read the Subscription (read scope, and its compartment for patient tokens).
 */
import type { Bundle, Parameters, Resource, Subscription } from '@medplum/fhirtypes';
import type { FeedDb } from '../../change-feed/feed-state.js';
import { badRequest, notFound } from '../errors.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { mayRead, readableResources } from '../access/read-access.js';
import { readCurrent } from '../interactions/read.js';
import type { OperationHandler, OperationTarget } from '../operations/operation-registry.js';
import { notificationBundle, subscriptionStatus } from './notification-bundle.js';
import { eventsAfter, listSubscriptions, readSubscriptionRow, type SubscriptionRow } from './notification-tables.js';
import type { PayloadContent } from './subscription-model.js';
import { parameterValues as values } from './operation-parameters.js';
import { wsBindingTokenOperation } from './ws-binding-token-operation.js';

const MAX_EVENTS = 500;
const BASE = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition';

export function subscriptionOperations(db: FeedDb, o: { bindingTokenSeconds?: number } = {}): OperationHandler[] {
  return [
    {
      name: 'status',
      definition: `${BASE}/backport-subscription-status`,
      levels: ['type', 'instance'],
      types: ['Subscription'],
      methods: ['GET', 'POST'],
      handle: (ctx, request, target) => statusOperation(db, ctx, request, target),
    },
    {
      name: 'events',
      definition: `${BASE}/backport-subscription-events`,
      levels: ['instance'],
      types: ['Subscription'],
      methods: ['GET', 'POST'],
      handle: (ctx, request, target) => eventsOperation(db, ctx, request, target),
    },
    wsBindingTokenOperation(db, o.bindingTokenSeconds),
  ];
}

async function statusOperation(
  db: FeedDb,
  ctx: FhirContext,
  request: FhirRequest,
  target: OperationTarget,
): Promise<FhirResponse> {
  const found: Array<{ resource: Subscription; row: SubscriptionRow | undefined }> = [];
  if (target.level === 'instance') {
    const resource = (await readCurrent(ctx, 'Subscription', target.id)).resource as Subscription;
    found.push({ resource, row: await readSubscriptionRow(db, target.id) });
  } else {
    requireAccess(ctx, 'search', 'Subscription');
    const ids = new Set(values(request, 'id'));
    const statuses = new Set(values(request, 'status'));
    for (const row of await listSubscriptions(db)) {
      if (ids.size > 0 && !ids.has(row.id)) continue;
      const current = await ctx.store.read('Subscription', row.id);
      const resource = current?.resource as Subscription | null | undefined;
      if (!resource || current?.deleted || !(await mayRead(ctx, resource))) continue;
      if (statuses.size > 0 && !statuses.has(resource.status ?? '')) continue;
      found.push({ resource, row });
    }
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: found.length,
    // FHIR JSON has no empty arrays: no match, no entry
    ...(found.length > 0
      ? {
          entry: found.map(({ resource, row }) => ({
            fullUrl: `urn:uuid:${crypto.randomUUID()}`,
            resource: statusOf(ctx.baseUrl, resource, row, 'query-status'),
            search: { mode: 'match' as const },
          })),
        }
      : {}),
  };
  return { status: 200, resource: bundle };
}

async function eventsOperation(
  db: FeedDb,
  ctx: FhirContext,
  request: FhirRequest,
  target: OperationTarget,
): Promise<FhirResponse> {
  if (target.level !== 'instance') throw badRequest('$events is an instance operation: Subscription/[id]/$events');
  const resource = (await readCurrent(ctx, 'Subscription', target.id)).resource as Subscription;
  const row = await readSubscriptionRow(db, target.id);
  if (!row) throw notFound(`Subscription/${target.id} has no notification history on this server`);
  const since = numberParam(request, 'eventsSinceNumber') ?? 1;
  const until = numberParam(request, 'eventsUntilNumber') ?? row.eventsQueued;
  const content = contentParam(request) ?? payloadOf(resource);
  const events = (await eventsAfter(db, row.id, since - 1, MAX_EVENTS)).filter((e) => e.eventNumber <= until);
  const resources: Array<Resource | undefined> = [];
  if (content === 'full-resource')
    for (const e of events) {
      const version = e.deleted ? undefined : await ctx.store.vread(e.resourceType, e.resourceId, e.versionId);
      const r = version?.resource ?? undefined;
      resources.push(r && (await readableResources(ctx, [r])).length === 1 ? r : undefined);
    }
  const bundle = notificationBundle(
    {
      baseUrl: ctx.baseUrl,
      subscriptionId: row.id,
      ...topicOf(resource, content),
      status: resource.status ?? row.status,
      type: 'query-event',
      eventsSinceStart: row.eventsQueued,
    },
    events,
    content,
    resources,
  );
  return { status: 200, resource: bundle };
}

function statusOf(
  baseUrl: string,
  resource: Subscription,
  row: SubscriptionRow | undefined,
  type: 'query-status',
): Parameters {
  return subscriptionStatus(
    {
      baseUrl,
      subscriptionId: resource.id ?? '',
      ...topicOf(resource, 'id-only'),
      status: resource.status ?? 'requested',
      type,
      eventsSinceStart: row?.eventsQueued ?? 0,
      ...(resource.error ? { error: resource.error } : {}),
    },
    [],
    'none',
  );
}

function topicOf(resource: Subscription, content: PayloadContent): { topic?: string } {
  const criteria = resource.criteria?.trim() ?? '';
  return /^(https?|urn):/i.test(criteria) && content !== 'none' ? { topic: criteria } : {};
}

function payloadOf(resource: Subscription): PayloadContent {
  const channel = resource.channel as Subscription['channel'] & {
    _payload?: { extension?: Array<{ url: string; valueCode?: string }> };
  };
  const code = channel?._payload?.extension?.find((e) => e.url.endsWith('/backport-payload-content'))?.valueCode;
  if (code === 'id-only' || code === 'full-resource') return code;
  if (code === 'empty') return 'none';
  return channel?.payload ? 'full-resource' : 'none';
}

function numberParam(request: FhirRequest, name: string): number | undefined {
  const v = values(request, name)[0];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name} must be an event number (a non-negative integer)`);
  return Number(v);
}

function contentParam(request: FhirRequest): PayloadContent | undefined {
  const v = values(request, 'content')[0];
  if (v === undefined) return undefined;
  if (v === 'empty') return 'none';
  if (v === 'id-only' || v === 'full-resource') return v;
  throw badRequest('content must be empty, id-only or full-resource');
}
