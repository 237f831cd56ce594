/**
 * What the server enforces when a client writes a Subscription (create, update, patch, transaction entries), called
 * from the one write path (interactions/commit-version.ts) through FhirServices.subscriptions:
 * - the criteria parse with the server's search semantics and the channel is one this server delivers (400);
 * - the writer may read and search what the criteria (or a topic-based subscription's filters) watch (403);
 * - a rest-hook endpoint is on the configured allow-list, when there is one (403);
 * - status: a client asks (`requested`) or switches off (`off`); `active` and `error` are the server's to set;
 * - the owner (what the writer's token may read) is stamped into the resource, replacing anything sent.
 */
import type { Resource, Subscription } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../access-policy.js';
import { forbidden } from '../errors.js';
import { parseSubscription } from './subscription-model.js';
import { snapshotOwner, withOwner } from './subscription-owner.js';

export type SubscriptionWriteRules = {
  /** The resource to commit, or a FhirError. */
  prepare(resource: Resource, access: AccessPolicy): Resource;
};

export type SubscriptionRulesOptions = {
  resourceTypes: ReadonlySet<string>;
  /** URL prefixes rest-hook endpoints must start with; empty or absent: any http(s) endpoint. */
  endpointAllowList?: readonly string[];
};

export function subscriptionWriteRules(o: SubscriptionRulesOptions): SubscriptionWriteRules {
  return {
    prepare(resource, access) {
      if (resource.resourceType !== 'Subscription') return resource;
      const parsed = parseSubscription(resource, o.resourceTypes);
      // topic-based: the types its filters name (the topic's own types are known to the engine, which delivers only
      // what the owner may read)
      const watched = parsed.criteria
        ? [parsed.criteria.resourceType]
        : (parsed.topic?.filters ?? []).flatMap((f) => (f.resourceType ? [f.resourceType] : []));
      for (const type of watched)
        if (!access.allows('search', type) || !access.allows('read', type))
          throw forbidden(`A subscription to ${type} needs an access token that may read and search ${type}`);
      const allow = o.endpointAllowList ?? [];
      const endpoint = parsed.channel.endpoint;
      if (endpoint && allow.length > 0 && !allow.some((prefix) => endpointWithin(endpoint, prefix)))
        throw forbidden(
          `Subscription.channel.endpoint ${endpoint} is not on the server allow-list of notification endpoints ` +
            '(SUBSCRIPTION_ENDPOINT_ALLOWLIST)',
        );
      const { error: _error, ...rest } = resource;
      const status: Subscription['status'] = resource.status === 'off' ? 'off' : 'requested';
      return withOwner({ ...rest, status }, snapshotOwner(access, o.resourceTypes));
    },
  };
}

/**
 * Whether `endpoint` lies under the allow-list entry `prefix`: same scheme, host and port, and a path at or below the
 * prefix's path on a segment boundary. A plain string prefix would let `https://hooks.example.org.evil.net/` or
 * `https://hooks.example.org@evil.net/` through an entry `https://hooks.example.org`.
 */
export function endpointWithin(endpoint: string, prefix: string): boolean {
  let e: URL, p: URL;
  try {
    e = new URL(endpoint);
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (e.username || e.password || e.origin !== p.origin) return false;
  const base = p.pathname.endsWith('/') ? p.pathname : `${p.pathname}/`;
  return e.pathname === p.pathname || e.pathname.startsWith(base);
}
