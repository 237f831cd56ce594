/**
 * Everything a GraphQL query fetches goes through here, with the caller's access exactly as REST decides it:
 * `Patient(id:)` and `Reference.resource` are reads (interactions/read.ts readCurrent: type permission, then the
 * one read decision of access/read-access.ts), lists and reverse references are searches through the server's
 * store-level search (ctx.search, the REST parser, which confines a patient-context token to its compartment and
 * applies SMART constraints). Each fetch counts against the request's lookup budget, so a query cannot fan out
 * into unbounded store work.
 */
import type { Resource } from '@medplum/fhirtypes';
import { requireAccess, searchTimeoutMs, type FhirContext, type SearchResult } from '../fhir-context.js';
import { readCurrent } from '../interactions/read.js';
import { fhirError } from '../errors.js';
import { terminologyFor } from '../terminology/terminology-context.js';

/** Most store fetches (reads and searches) one GraphQL request may make. */
export const MAX_LOOKUPS = 300;

export type GraphqlContext = {
  fhir: FhirContext;
  lookups: { used: number; max: number };
  /** Reads of this request by `Type/id` (a resource referred to many times is read once). */
  reads: Map<string, Promise<Resource>>;
  /** The resource whose `contained` a `#id` reference inside this object resolves against. */
  owners: WeakMap<object, Resource>;
};

export function graphqlContext(fhir: FhirContext, maxLookups = MAX_LOOKUPS): GraphqlContext {
  return { fhir, lookups: { used: 0, max: maxLookups }, reads: new Map(), owners: new WeakMap() };
}

export function spend(g: GraphqlContext): void {
  g.lookups.used++;
  if (g.lookups.used > g.lookups.max)
    throw fhirError(
      400,
      'too-costly',
      `The query needs more than ${g.lookups.max} resource reads and searches: ask for fewer resources per list or nest fewer lists`,
    );
}

/** GET [type]/[id] as REST answers it (404, 410, 403 as errors). */
export function readResource(g: GraphqlContext, type: string, id: string): Promise<Resource> {
  const key = `${type}/${id}`;
  let read = g.reads.get(key);
  if (!read) {
    read = (async () => {
      if (!g.fhir.resourceTypes.has(type)) throw fhirError(404, 'not-supported', `Unknown resource type "${type}"`);
      requireAccess(g.fhir, 'read', type);
      spend(g);
      const current = await readCurrent(g.fhir, type, id);
      return current.resource as Resource;
    })();
    g.reads.set(key, read);
  }
  return read;
}

/** GET [type]?params as REST answers it, page size capped as REST caps it. */
export async function searchResources(
  g: GraphqlContext,
  type: string,
  params: Array<[string, string]>,
  cursor?: string,
): Promise<SearchResult> {
  if (!g.fhir.resourceTypes.has(type)) throw fhirError(404, 'not-supported', `Unknown resource type "${type}"`);
  requireAccess(g.fhir, 'search', type);
  spend(g);
  const ctx = g.fhir;
  const max = ctx.limits.maxPageSize;
  const bounded = params.map(([name, value]): [string, string] =>
    name === '_count' && /^\d+$/.test(value) && Number(value) > max ? [name, String(max)] : [name, value],
  );
  return ctx.search({
    store: ctx.store,
    resourceTypes: [type],
    params: bounded,
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: 'strict',
    timeoutMs: searchTimeoutMs(ctx),
    terminology: terminologyFor(ctx),
    cursor,
  });
}
