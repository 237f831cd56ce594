/**
 * Patient/[id]/$everything and Encounter/[id]/$everything: the focal resource, everything in its
 * compartment (paged with `_count`, filtered by `_since` and `_type`), and the resources those refer to
 * outside the compartment (practitioners, organisations, locations, medications) as `include` entries —
 * what HAPI returns. Paging links point back at $everything. Confined by the caller's AccessPolicy
 * like any search (a patient-context token sees only its own patient's record).
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { readCurrent } from '../interactions/read.js';
import { readCount } from '../interactions/history.js';
import { dateRange } from '../indexing/normalize.js';
import type { OperationHandler } from './operation-registry.js';
import type { StoredVersion } from '../../store/resource-store.js';

export const everythingOperation: OperationHandler = {
  name: 'everything',
  definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
  levels: ['instance'],
  types: ['Patient', 'Encounter'],
  methods: ['GET', 'POST'],
  handle: async (ctx, request, target) => {
    if (target.level !== 'instance') throw badRequest('$everything works on one Patient or Encounter');
    return everything(ctx, request, target.resourceType, target.id);
  },
};

async function everything(
  ctx: FhirContext,
  request: FhirRequest,
  focusType: string,
  id: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'read', focusType);
  const focus = await readCurrent(ctx, focusType, id);
  const count = readCount(ctx, param(request, '_count'));
  const since = param(request, '_since');
  if (since !== undefined && !dateRange(since))
    throw badRequest(`_since "${since.slice(0, 40)}" is not a FHIR instant`);
  const types = (param(request, '_type') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of types)
    if (!ctx.resourceTypes.has(t)) throw badRequest(`_type names an unknown resource type "${t.slice(0, 60)}"`);
  const cursor = param(request, '_cursor');

  const params: Array<[string, string]> = [];
  if (since) params.push(['_lastUpdated', `ge${since}`]);
  const page = await ctx.search({
    store: ctx.store,
    resourceTypes: types,
    params,
    count,
    cursor,
    baseUrl: ctx.baseUrl,
    compartment: { resourceType: focusType, id },
    access: ctx.access,
    handling: 'strict',
  });

  const entry = (v: StoredVersion, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`,
    resource: v.resource as Resource,
    search: { mode },
  });
  const matches: BundleEntry[] = page.matches.map((v) => entry(v, 'match'));
  const focusIncluded =
    !cursor &&
    (types.length === 0 || types.includes(focusType)) &&
    (!since || Date.parse(focus.lastUpdated) >= (dateRange(since)?.low ?? 0));
  const present = new Set(matches.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
  if (focusIncluded && !present.has(`${focusType}/${id}`)) {
    matches.unshift(entry(focus, 'match'));
    present.add(`${focusType}/${id}`);
  }
  const included = await referencedOutsideCompartment(ctx, matches, present);

  const link = [{ relation: 'self', url: everythingUrl(ctx.baseUrl, focusType, id, request, cursor) }];
  if (page.nextCursor)
    link.push({ relation: 'next', url: everythingUrl(ctx.baseUrl, focusType, id, request, page.nextCursor) });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total !== undefined ? { total: page.total } : {}),
    link,
    entry: [...matches, ...included],
  };
  return { status: 200, resource: bundle };
}

/** Practitioners, organisations, locations … referred to by the page, read in one call. */
async function referencedOutsideCompartment(
  ctx: FhirContext,
  entries: BundleEntry[],
  present: Set<string>,
): Promise<BundleEntry[]> {
  const wanted = new Map<string, { resourceType: string; id: string }>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') {
        const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(v);
        if (m && !present.has(v) && ctx.resourceTypes.has(m[1]!) && ctx.access.allows('read', m[1]!))
          wanted.set(v, { resourceType: m[1]!, id: m[2]! });
      } else if (k !== 'contained') {
        visit(v);
      }
    }
  };
  for (const e of entries) visit(e.resource);
  if (wanted.size === 0) return [];
  const found = await ctx.store.readMany([...wanted.values()]);
  return found
    .filter(
      (v) =>
        v.resource &&
        (!ctx.access.compartment ||
          ctx.compartmentsOf(v.resource).includes(ctx.access.compartment) ||
          !hasPatientCompartment(ctx, v.resource)),
    )
    .map((v) => ({
      fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`,
      resource: v.resource as Resource,
      search: { mode: 'include' as const },
    }));
}

/** Resources that can belong to a patient compartment must be in the caller's; others (Practitioner, Organization …) are shared. */
function hasPatientCompartment(ctx: FhirContext, resource: Resource): boolean {
  return ctx.compartmentsOf(resource).some((c) => c.startsWith('Patient/'));
}

function everythingUrl(baseUrl: string, type: string, id: string, request: FhirRequest, cursor?: string): string {
  const out = new URLSearchParams();
  for (const name of ['_count', '_since', '_type']) {
    const value = param(request, name);
    if (value !== undefined) out.set(name, value);
  }
  if (cursor) out.set('_cursor', cursor);
  const q = out.toString();
  return `${baseUrl}/${type}/${id}/$everything${q ? `?${q}` : ''}`;
}
