/** search at type, system (`_type`) and compartment level; the work is done by server/fhir/search. */
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requireAccess, searchTimeoutMs, type FhirContext } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { assertValidId } from '../check-resource-body.js';
import type { SearchArgs } from '../search/store-search.js';
import { searchResultBundle } from '../search/search-interaction.js';
import { terminologyFor } from '../terminology/terminology-context.js';

/** Compartment types whose compartment search `[type]/[id]/[target]` the server answers. */
export const COMPARTMENT_TYPES = new Set(['Patient', 'Encounter', 'Practitioner', 'RelatedPerson', 'Device']);

export async function typeSearchInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'search', resourceType);
  return respond(ctx, {
    store: ctx.store,
    resourceTypes: [resourceType],
    params: request.params,
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: ctx.prefer.handling,
    timeoutMs: searchTimeoutMs(ctx),
  });
}

export async function systemSearchInteraction(ctx: FhirContext, request: FhirRequest): Promise<FhirResponse> {
  const typeParam = request.params.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(','));
  const resourceTypes = typeParam.map((t) => t.trim()).filter(Boolean);
  for (const t of resourceTypes) {
    if (!ctx.resourceTypes.has(t)) throw badRequest(`_type names an unknown resource type "${t.slice(0, 60)}"`);
    requireAccess(ctx, 'search', t);
  }
  if (resourceTypes.length === 0) requireAccess(ctx, 'search', '*');
  return respond(ctx, {
    store: ctx.store,
    resourceTypes,
    params: request.params.filter(([k]) => k !== '_type'),
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: ctx.prefer.handling,
    timeoutMs: searchTimeoutMs(ctx),
  });
}

export async function compartmentSearchInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  compartmentType: string,
  compartmentId: string,
  target: string,
): Promise<FhirResponse> {
  if (!COMPARTMENT_TYPES.has(compartmentType)) {
    throw notFound(`${compartmentType} is not a compartment this server searches`);
  }
  assertValidId(compartmentId);
  const resourceTypes = target === '*' ? [] : [target];
  if (target !== '*' && !ctx.resourceTypes.has(target))
    throw notFound(`Unknown resource type "${target.slice(0, 60)}"`);
  if (target !== '*') requireAccess(ctx, 'search', target);
  return respond(ctx, {
    store: ctx.store,
    resourceTypes,
    params: request.params,
    baseUrl: ctx.baseUrl,
    compartment: { resourceType: compartmentType, id: compartmentId },
    access: ctx.access,
    handling: ctx.prefer.handling,
    timeoutMs: searchTimeoutMs(ctx),
  });
}

/**
 * The response edge: the store-level result becomes the searchset Bundle here. A `_count` above the server's page
 * size (MAX_PAGE_SIZE) is lowered to it, so the page and its links say what was actually returned (issue 15 item 5).
 */
async function respond(ctx: FhirContext, args: SearchArgs): Promise<FhirResponse> {
  const max = ctx.limits.maxPageSize;
  const params = args.params.map(([name, value]): [string, string] =>
    name === '_count' && /^\d+$/.test(value) && Number(value) > max ? [name, String(max)] : [name, value],
  );
  const bounded = { ...args, params, terminology: terminologyFor(ctx) };
  return { status: 200, resource: searchResultBundle(bounded, await ctx.search(bounded)) };
}
