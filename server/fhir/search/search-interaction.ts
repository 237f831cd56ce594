/**
 * The FHIR search interaction (type, system and compartment search): parse → store.search → includes →
 * _summary/_elements → searchset Bundle. Free of HTTP; server/http maps the arguments and the Bundle.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../access-policy.js';
import { badRequest } from '../errors.js';
import { isResourceType, loadDefinitions } from '../definitions.js';
import { UnsupportedQueryError, type ResourceStore, type StoredVersion } from '../../store/resource-store.js';
import type { SearchPage } from './search-query.js';
import { parseSearch, type SearchHandling } from './parse-search.js';
import { fetchIncludes } from './fetch-includes.js';
import { shapeResource } from './shape-resource.js';
import { searchBundle } from './search-bundle.js';

export type SearchArgs = {
  store: ResourceStore;
  /** [] = system search (`[base]?_type=…`); one type for type-level and compartment search. */
  resourceTypes: string[];
  /** Decoded query or form pairs, in order. */
  params: Array<[string, string]>;
  /** e.g. http://h/fhir */
  baseUrl: string;
  compartment?: { resourceType: string; id: string };
  access: AccessPolicy;
  handling: SearchHandling;
};

export async function searchInteraction(args: SearchArgs): Promise<Bundle> {
  const now = Date.now();
  const parsed = parseSearch(args.resourceTypes, args.params, {
    handling: args.handling,
    baseUrl: args.baseUrl,
    compartment: args.compartment,
    access: args.access,
    now,
  });
  const { query } = parsed;
  let page: SearchPage<StoredVersion>;
  try {
    page = await args.store.search(query);
  } catch (err) {
    if (err instanceof UnsupportedQueryError) throw badRequest(err.message);
    throw err;
  }

  const matches = page.entries.filter((v) => v.resource);
  const { included, warnings } =
    parsed.includes.length + parsed.revincludes.length > 0 && matches.length > 0
      ? await fetchIncludes({
          store: args.store,
          matches,
          includes: parsed.includes,
          revincludes: parsed.revincludes,
          access: args.access,
          ctx: {
            baseUrl: args.baseUrl,
            now,
            isResourceType,
            access: args.access,
            allResourceTypes: loadDefinitions().resourceTypes,
          },
        })
      : { included: [], warnings: [] };

  let total = page.total;
  if (total === undefined && !query.cursor && !page.nextCursor && query.count > 0) total = matches.length; // cheap: one page holds all
  if (query.total === 'none' && parsed.totalRequested) total = undefined;

  const shape = (r: Resource, isMatch: boolean) =>
    shapeResource(r, parsed.summary, isMatch ? parsed.elements : undefined);
  return searchBundle({
    location: {
      baseUrl: args.baseUrl,
      resourceTypes: args.resourceTypes.length > 0 ? args.resourceTypes : [],
      compartment: args.compartment,
      params: args.params,
    },
    matches: matches.map((v) => shape(v.resource!, true)),
    included: included.filter((v) => v.resource).map((v) => shape(v.resource!, false)),
    warnings: [...parsed.ignored.map((i) => `Parameter '${i.name}' was ignored: ${i.reason}`), ...warnings],
    total,
    cursor: query.cursor,
    nextCursor: page.nextCursor,
    previousCursor: page.previousCursor,
  });
}
