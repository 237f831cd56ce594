/**
 * history at instance, type and system level (`_since`, `_count`, paging by cursor), newest first.
 * Every version passes the read decision (access/read-access.ts) on its own content: a patient-context token sees
 * only its compartment, a constrained token (`patient/Observation.rs?category=laboratory`) only matching versions.
 * An instance history needs the resource itself to be readable (as a read would), and a caller whose reading is
 * restricted gets no `total` (it would count versions it may not see).
 */
import type { Bundle, BundleEntry, BundleLink } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest, forbidden } from '../errors.js';
import { mayRead, readableVersions, seesDeletions } from '../access/read-access.js';
import { assertValidId } from '../check-resource-body.js';
import { dateRange } from '../indexing/normalize.js';
import { etagOf } from '../resource-meta.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { readCurrent } from './read.js';
import { entryField } from '../bundle/entry-field.js';

export async function historyInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType?: string,
  id?: string,
): Promise<FhirResponse> {
  if (resourceType) requireAccess(ctx, 'history', resourceType);
  else if (!ctx.access.allows('history', '*')) requireAccess(ctx, 'history', '*');
  if (id !== undefined) await assertInstanceReadable(ctx, resourceType as string, id);
  const count = readCount(ctx, param(request, '_count'));
  const sinceText = param(request, '_since');
  let since: string | undefined;
  if (sinceText !== undefined) {
    const range = dateRange(sinceText);
    if (!range) throw badRequest(`_since "${sinceText.slice(0, 40)}" is not a FHIR instant`);
    since = new Date(range.low).toISOString();
  }
  const cursor = param(request, '_cursor');
  const page = await ctx.store.history({ resourceType, id, since, count, cursor });
  const visible = await readableVersions(ctx, page.versions);
  const restricted = !unrestrictedReader(ctx, resourceType);

  const path = [resourceType, id, '_history'].filter(Boolean).join('/');
  const selfUrl = `${ctx.baseUrl}/${path}`;
  const baseParams = new URLSearchParams();
  if (sinceText !== undefined) baseParams.set('_since', sinceText);
  baseParams.set('_count', String(count));
  const link: BundleLink[] = [{ relation: 'self', url: withParams(selfUrl, baseParams, cursor) }];
  if (page.nextCursor) link.push({ relation: 'next', url: withParams(selfUrl, baseParams, page.nextCursor) });

  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    ...(page.total !== undefined && !restricted ? { total: page.total } : {}),
    link,
    ...entryField(visible.map((v) => historyEntry(ctx.baseUrl, v))),
  };
  return { status: 200, resource: bundle };
}

/**
 * An instance history is shown only when the resource is readable: its current version, or for a deleted resource
 * the version before the deletion (404 when never written). A refusal says nothing about versions.
 */
async function assertInstanceReadable(ctx: FhirContext, resourceType: string, id: string): Promise<void> {
  assertValidId(id);
  const current = await ctx.store.read(resourceType, id);
  if (!current) {
    await readCurrent(ctx, resourceType, id); // 404
    return;
  }
  if (current.resource) {
    if (!(await mayRead(ctx, current.resource)))
      throw forbidden(`${resourceType}/${id} is outside what the access token may read`);
    return;
  }
  if (seesDeletions(ctx, resourceType)) return;
  const before = current.versionId > 1 ? await ctx.store.vread(resourceType, id, current.versionId - 1) : undefined;
  if (!before?.resource || !(await mayRead(ctx, before.resource)))
    throw forbidden(`${resourceType}/${id} is outside what the access token may read`);
}

/** True when the caller reads every resource of the type(s) unfiltered (no compartment, no constraint). */
function unrestrictedReader(ctx: FhirContext, resourceType: string | undefined): boolean {
  if (ctx.access.compartment) return false;
  if (resourceType) return seesDeletions(ctx, resourceType);
  return ctx.resourceTypes.size > 0 && [...ctx.resourceTypes].every((t) => seesDeletions(ctx, t));
}

export function readCount(ctx: Pick<FhirContext, 'limits'>, text: string | undefined): number {
  if (text === undefined) return ctx.limits.defaultPageSize;
  if (!/^\d+$/.test(text)) throw badRequest(`_count "${text.slice(0, 20)}" is not a non-negative integer`);
  return Math.min(Number(text), ctx.limits.maxPageSize);
}

function withParams(url: string, params: URLSearchParams, cursor: string | undefined): string {
  const p = new URLSearchParams(params);
  if (cursor) p.set('_cursor', cursor);
  const q = p.toString();
  return q ? `${url}?${q}` : url;
}

export function historyEntry(baseUrl: string, v: StoredVersion): BundleEntry {
  const method = v.deleted ? 'DELETE' : v.versionId === 1 ? 'POST' : 'PUT';
  return {
    fullUrl: `${baseUrl}/${v.resourceType}/${v.id}`,
    ...(v.resource ? { resource: v.resource } : {}),
    request: { method, url: method === 'POST' ? v.resourceType : `${v.resourceType}/${v.id}` },
    response: {
      status: v.deleted ? '204' : v.versionId === 1 ? '201' : '200',
      etag: etagOf(v.versionId),
      lastModified: v.lastUpdated,
    },
  };
}
