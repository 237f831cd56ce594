/**
 * The FHIR search interaction's response (type, system and compartment search): the store-level search,
 * then _summary/_elements and the searchset Bundle. This is the only place a search becomes a Bundle;
 * internal callers use storeSearch and get stored versions.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { storeSearch, type SearchArgs, type SearchResult } from './store-search.js';
import { shapeResource } from './shape-resource.js';
import { searchBundle } from './search-bundle.js';

export type { SearchArgs } from './store-search.js';

export async function searchInteraction(args: SearchArgs): Promise<Bundle> {
  return searchResultBundle(args, await storeSearch(args));
}

/** A store-level result as the searchset Bundle the client sees (links carry the opaque cursors). */
export function searchResultBundle(args: SearchArgs, result: SearchResult): Bundle {
  const shape = (r: Resource, isMatch: boolean) =>
    shapeResource(r, result.summary, isMatch ? result.elements : undefined);
  // the links say what the search did: parameters it ignored are left out (they are named in the outcome entry)
  const ignored = new Set(result.ignoredParams);
  return searchBundle({
    location: {
      baseUrl: args.baseUrl,
      resourceTypes: args.resourceTypes,
      compartment: args.compartment,
      params: ignored.size > 0 ? args.params.filter(([name]) => !ignored.has(name)) : args.params,
    },
    matches: result.matches.map((v) => shape(v.resource!, true)),
    included: result.included.map((v) => shape(v.resource!, false)),
    warnings: result.warnings,
    total: result.total,
    cursor: result.cursor,
    nextCursor: result.nextCursor,
    previousCursor: result.previousCursor,
  });
}
