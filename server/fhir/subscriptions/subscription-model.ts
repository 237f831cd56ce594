/**
 * A Subscription resource (R4, and the R4 Backport IG's payload extension) read into what the delivery engine
 * needs: criteria, channel, owner. `parseSubscription` throws a 400 FhirError naming what is wrong.
 */
import type { Subscription } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { parseCriteria, type Criteria } from './subscription-criteria.js';
import { ownerOf, type OwnerSnapshot } from './subscription-owner.js';

export const PAYLOAD_CONTENT_EXTENSION =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content';

export type ChannelType = 'rest-hook' | 'websocket';
/** none: no body (R4 without channel.payload; backport `empty`); id-only: references; full-resource: the resources. */
export type PayloadContent = 'none' | 'id-only' | 'full-resource';

export type SubscriptionChannel = {
  type: ChannelType;
  endpoint?: string;
  headers: Array<[string, string]>;
  payload: PayloadContent;
};

export type ParsedSubscription = {
  id: string;
  status: NonNullable<Subscription['status']>;
  criteria: Criteria;
  channel: SubscriptionChannel;
  owner: OwnerSnapshot | undefined;
  /** After this instant the subscription is off. */
  end?: string;
};

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*)$/;
/** Headers a subscription may not set: the engine's own. */
const RESERVED = new Set(['content-type', 'content-length', 'host', 'transfer-encoding', 'connection']);

export function parseSubscription(resource: Subscription, resourceTypes: ReadonlySet<string>): ParsedSubscription {
  const criteria = parseCriteria(resource.criteria, resourceTypes);
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
    criteria,
    channel: { type: channel.type, ...(endpoint ? { endpoint } : {}), headers, payload: payloadOf(resource) },
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
