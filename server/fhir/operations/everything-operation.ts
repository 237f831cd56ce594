/**
 * Patient/[id]/$everything and Encounter/[id]/$everything: the focal resource, everything in its
 * compartment (paged with `_count`, filtered by `_since` and `_type`), and the resources those refer to
 * outside the compartment (practitioners, organisations, locations, medications) as `include` entries —
 * what HAPI returns.
 *
 * - The focal resource appears once, first on the first page (the compartment search also finds it — it is in
 *   its own compartment — so it is taken out of every page); the first page asks the store for `_count - 1`
 *   others so that no page holds more than `_count` matches.
 * - Include entries are only resources outside the focal compartment (those inside come as matches on some
 *   page), once per page, and never a resource of the page itself.
 * - Every entry passes the read decision of the caller (callerMayRead): a resource referenced from the
 *   compartment that the caller could not read directly (another patient's Binary, say) is left out.
 *
 * Uses the store-level search; the Bundle is built here, at the response edge. Paging links point back at
 * $everything and carry the store's opaque cursor.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { readCurrent } from '../interactions/read.js';
import { readCount } from '../interactions/history.js';
import { dateRange } from '../indexing/normalize.js';
import type { StoredVersion } from '../../store/resource-store.js';
import type { AccessPolicy } from '../access-policy.js';
import type { OperationHandler } from './operation-registry.js';
import { readableVersions } from './caller-may-read.js';
import { referencedKeys } from './referenced-keys.js';
import { entryField } from '../bundle/entry-field.js';

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

const keyOf = (v: { resourceType: string; id: string }) => `${v.resourceType}/${v.id}`;

async function everything(
  ctx: FhirContext,
  request: FhirRequest,
  focusType: string,
  id: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'read', focusType);
  const focus = await readCurrent(ctx, focusType, id);
  const focusKey = keyOf(focus);
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
  const focusFirst =
    !cursor &&
    count > 0 &&
    (types.length === 0 || types.includes(focusType)) &&
    (!since || Date.parse(focus.lastUpdated) >= (dateRange(since)?.low ?? 0));

  const page = await ctx.search({
    store: ctx.store,
    resourceTypes: types,
    params: since ? [['_lastUpdated', `ge${since}`]] : [],
    count: focusFirst && count > 1 ? count - 1 : count,
    cursor,
    baseUrl: ctx.baseUrl,
    compartment: { resourceType: focusType, id },
    access: searchAccess(ctx, types),
    handling: 'strict',
  });
  const readable = await readableVersions(
    ctx,
    page.matches.filter((v) => keyOf(v) !== focusKey),
  );
  const matches = [...(focusFirst ? [focus] : []), ...readable];
  // A total counted before the read decision would reveal how many resources the caller cannot see.
  const total =
    readable.length === page.matches.length ? page.total : !page.nextCursor && !cursor ? matches.length : undefined;
  const included = await referencedOutsideCompartment(ctx, matches, focusKey);

  const link: BundleLink[] = [{ relation: 'self', url: everythingUrl(ctx.baseUrl, focusType, id, request, cursor) }];
  if (page.nextCursor)
    link.push({ relation: 'next', url: everythingUrl(ctx.baseUrl, focusType, id, request, page.nextCursor) });
  const entry = (v: StoredVersion, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${ctx.baseUrl}/${keyOf(v)}`,
    resource: v.resource as Resource,
    search: { mode },
  });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link,
    ...entryField([...matches.map((v) => entry(v, 'match')), ...included.map((v) => entry(v, 'include'))]),
  };
  return { status: 200, resource: bundle };
}

/**
 * The policy the compartment search runs under. A search across several types refuses a token whose access to
 * some type is narrowed by SMART v2 constraints (`patient/Observation.rs?category=laboratory`); $everything
 * searches without those constraints and applies them per resource (callerMayRead), as a read would.
 */
function searchAccess(ctx: FhirContext, types: string[]): AccessPolicy {
  const access = ctx.access;
  const searched = types.length > 0 ? types : [...ctx.resourceTypes];
  if (types.length === 1 || !searched.some((t) => access.constraints(t) !== undefined)) return access;
  return {
    who: access.who,
    ...(access.compartment !== undefined ? { compartment: access.compartment } : {}),
    allows: (interaction, type) => access.allows(interaction, type),
    constraints: () => undefined,
  };
}

/**
 * Resources the page refers to that lie outside the focal compartment (practitioners, organisations, locations,
 * medications …), read in one call, each once, and only those the caller may read.
 */
async function referencedOutsideCompartment(
  ctx: FhirContext,
  matches: StoredVersion[],
  focusKey: string,
): Promise<StoredVersion[]> {
  const onPage = new Set(matches.map(keyOf));
  const wanted = referencedKeys(
    matches.map((v) => v.resource as Resource),
    (type) => ctx.resourceTypes.has(type) && ctx.access.allows('read', type),
  ).filter((k) => !onPage.has(keyOf(k)));
  if (wanted.length === 0) return [];
  const found = await ctx.store.readMany(wanted);
  const outside = found.filter((v) => v.resource && !ctx.compartmentsOf(v.resource).includes(focusKey));
  return (await readableVersions(ctx, outside)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
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
