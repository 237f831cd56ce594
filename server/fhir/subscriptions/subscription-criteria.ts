/**
 * Subscription.criteria (R4): a search expression `Type?param=value&…`, matched against each changed resource with
 * the server's own search semantics (search/matches.ts: the store's index extraction and condition evaluation).
 * Chains and `_has` need other resources and are refused when the subscription is written (400).
 */
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { matchesSearch } from '../search/matches.js';

export type Criteria = { resourceType: string; params: Array<[string, string]> };

/** Parses `Type?query` (or just `Type`); throws 400 for anything else, an unknown type or parameter. */
export function parseCriteria(text: string | undefined, resourceTypes: ReadonlySet<string>): Criteria {
  const trimmed = (text ?? '').trim();
  const match = /^([A-Z][A-Za-z]+)(?:\?(.*))?$/s.exec(trimmed);
  if (!match) throw badRequest('Subscription.criteria must be a search expression such as Observation?code=1234-5');
  const resourceType = match[1] as string;
  if (!resourceTypes.has(resourceType))
    throw badRequest(`Subscription.criteria names an unknown resource type: ${resourceType}`);
  const params = [...new URLSearchParams(match[2] ?? '')].filter(([name]) => name !== '');
  const criteria = { resourceType, params };
  // Parses strictly and evaluates once: unknown parameters, bad values, chains and _has fail here, not at delivery.
  matchesCriteria({ resourceType, id: 'criteria-check' } as Resource, criteria);
  return criteria;
}

export function matchesCriteria(resource: Resource, criteria: Criteria, baseUrl?: string): boolean {
  return matchesSearch(resource, criteria.resourceType, criteria.params, baseUrl ? { baseUrl } : {});
}
