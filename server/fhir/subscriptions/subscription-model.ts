/**
 * A Subscription resource read into what the delivery engine needs: criteria, channel, owner. Two kinds:
 * - R4: `criteria` is a search expression `Type?query`;
 * - topic-based (Subscriptions R5 Backport IG for R4): `criteria` is the canonical URL of a SubscriptionTopic, with
 *   `backport-filter-criteria` extensions on `criteria` (`Type?query`, AND-ed; a bare `query` applies to every type the
 *   topic triggers on), channel extensions backport-heartbeat-period and backport-timeout.
 * The payload content extension (empty / id-only / full-resource) applies to both. `parseSubscription` throws a 400
 * FhirError naming what is wrong; whether the topic exists is the engine's to judge (subscription-topic.ts).
 */
import type { Extension, Subscription } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { parseCriteria, type Criteria } from './subscription-criteria.js';
import { ownerOf, type OwnerSnapshot } from './subscription-owner.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const PAYLOAD_CONTENT_EXTENSION = `${BACKPORT}/backport-payload-content`;
export const FILTER_CRITERIA_EXTENSION = `${BACKPORT}/backport-filter-criteria`;
export const HEARTBEAT_PERIOD_EXTENSION = `${BACKPORT}/backport-heartbeat-period`;
export const TIMEOUT_EXTENSION = `${BACKPORT}/backport-timeout`;
export const MAX_COUNT_EXTENSION = `${BACKPORT}/backport-max-count`;

export type ChannelType = 'rest-hook' | 'websocket';
/** none: no body (R4 without channel.payload; backport `empty`); id-only: references; full-resource: the resources. */
export type PayloadContent = 'none' | 'id-only' | 'full-resource';

export type SubscriptionChannel = {
  type: ChannelType;
  endpoint?: string;
  headers: Array<[string, string]>;
  payload: PayloadContent;
  /** Seconds without a notification after which a heartbeat is sent (topic-based and R4 alike). */
  heartbeatSeconds?: number;
  /** Seconds an endpoint may take to answer (default 10). */
  timeoutSeconds?: number;
  /** Topic-based: the most events one notification carries (backport-max-count; default 1). */
  maxCount?: number;
};

/** A filter of a topic-based subscription; `resourceType` undefined: every type the topic triggers on. */
export type TopicFilter = { resourceType?: string; params: Array<[string, string]>; text: string };

export type ParsedSubscription = {
  id: string;
  status: NonNullable<Subscription['status']>;
  /** R4: the search expression; undefined for a topic-based subscription. */
  criteria?: Criteria;
  /** Topic-based: the topic's canonical URL and the filters. */
  topic?: { url: string; filters: TopicFilter[] };
  channel: SubscriptionChannel;
  owner: OwnerSnapshot | undefined;
  /** After this instant the subscription is off. */
  end?: string;
};

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*)$/;
/** Headers a subscription may not set: the engine's own. */
const RESERVED = new Set(['content-type', 'content-length', 'host', 'transfer-encoding', 'connection']);

export function parseSubscription(resource: Subscription, resourceTypes: ReadonlySet<string>): ParsedSubscription {
  const topicUrl = /^(https?|urn):/i.test(resource.criteria?.trim() ?? '') ? resource.criteria?.trim() : undefined;
  const criteria = topicUrl ? undefined : parseCriteria(resource.criteria, resourceTypes);
  const channel = resource.channel;
  if (channel?.type !== 'rest-hook' && channel?.type !== 'websocket')
    throw badRequest(
      `Subscription.channel.type ${channel?.type ?? '(missing)'} is not supported here: use rest-hook or websocket`,
    );
  const headers = (channel.header ?? []).map((text): [string, string] => {
    const m = HEADER.exec(text);
    if (!m) throw badRequest('Subscription.channel.header entries must look like "Name: value" on one line');
    if (RESERVED.has((m[1] as string).toLowerCase()))
      throw badRequest(`Subscription.channel.header may not set ${m[1]}`);
    return [m[1] as string, m[2] as string];
  });
  let endpoint: string | undefined;
  if (channel.type === 'rest-hook') {
    endpoint = channel.endpoint;
    let url: URL | undefined;
    try {
      url = endpoint ? new URL(endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw badRequest('Subscription.channel.endpoint of a rest-hook must be an http(s) URL');
  }
  return {
    id: resource.id ?? '',
    status: resource.status ?? 'requested',
    ...(criteria ? { criteria } : {}),
    ...(topicUrl ? { topic: { url: topicUrl, filters: filtersOf(resource, resourceTypes) } } : {}),
    channel: {
      type: channel.type,
      ...(endpoint ? { endpoint } : {}),
      headers,
      payload: payloadOf(resource),
      ...seconds(channel.extension, HEARTBEAT_PERIOD_EXTENSION, 'heartbeatSeconds'),
      ...seconds(channel.extension, TIMEOUT_EXTENSION, 'timeoutSeconds'),
      ...maxCountOf(channel.extension),
    },
    owner: ownerOf(resource),
    ...(resource.end ? { end: resource.end } : {}),
  };
}

function payloadOf(resource: Subscription): PayloadContent {
  const channel = resource.channel as Subscription['channel'] & {
    _payload?: { extension?: Array<{ url: string; valueCode?: string }> };
  };
  const content = channel._payload?.extension?.find((e) => e.url === PAYLOAD_CONTENT_EXTENSION)?.valueCode;
  if (content === 'empty') return 'none';
  if (content === 'id-only' || content === 'full-resource') return content;
  if (content !== undefined) throw badRequest(`Unknown backport-payload-content ${content}`);
  return channel.payload ? 'full-resource' : 'none';
}

function filtersOf(resource: Subscription, resourceTypes: ReadonlySet<string>): TopicFilter[] {
  const criteria = (resource as Subscription & { _criteria?: { extension?: Extension[] } })._criteria;
  return (criteria?.extension ?? [])
    .filter((e) => e.url === FILTER_CRITERIA_EXTENSION)
    .map((e) => {
      const text = (e.valueString ?? '').trim();
      if (!text) throw badRequest('backport-filter-criteria needs a valueString such as Encounter?patient=Patient/123');
      if (/^[A-Z][A-Za-z]+(\?|$)/.test(text)) {
        const parsed = parseCriteria(text, resourceTypes); // strict: unknown parameters fail here
        return { resourceType: parsed.resourceType, params: parsed.params, text };
      }
      return { params: [...new URLSearchParams(text.replace(/^\?/, ''))], text };
    });
}

function seconds<K extends string>(
  extensions: Extension[] | undefined,
  url: string,
  key: K,
): Partial<Record<K, number>> {
  const value = extensions?.find((e) => e.url === url)?.valueUnsignedInt;
  if (value === undefined) return {};
  if (!Number.isInteger(value) || value < 1) throw badRequest(`${url} must be a positive number of seconds`);
  return { [key]: value } as Partial<Record<K, number>>;
}

function maxCountOf(extensions: Extension[] | undefined): { maxCount?: number } {
  const value = extensions?.find((e) => e.url === MAX_COUNT_EXTENSION)?.valuePositiveInt;
  if (value === undefined) return {};
  if (!Number.isInteger(value) || value < 1) throw badRequest(`${MAX_COUNT_EXTENSION} must be a positive integer`);
  return { maxCount: value };
}
