/**
 * history at instance, type and system level (`_since`, `_count`, paging by cursor), newest first.
 * With a patient-context token, versions outside the compartment are left out of the page.
 */
import type { Bundle, BundleEntry, BundleLink } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import { inCallerCompartment, requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { assertValidId } from '../check-resource-body.js';
import { dateRange } from '../indexing/normalize.js';
import { etagOf, httpDate } from '../resource-meta.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { readCurrent } from './read.js';

export async function historyInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType?: string,
  id?: string,
): Promise<FhirResponse> {
  if (resourceType) requireAccess(ctx, 'history', resourceType);
  else if (!ctx.access.allows('history', '*')) requireAccess(ctx, 'history', '*');
  if (id !== undefined) {
    assertValidId(id);
    // An instance history is visible only when the current resource is (404 when never written).
    const current = await ctx.store.read(resourceType as string, id);
    if (!current) await readCurrent(ctx, resourceType as string, id);
  }
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
  // A delete version carries no content to place in a compartment: patient-context callers do not see it.
  const visible = ctx.access.compartment
    ? page.versions.filter((v) => v.resource && inCallerCompartment(ctx, v.resource))
    : page.versions;

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
    ...(page.total !== undefined ? { total: page.total } : {}),
    link,
    entry: visible.map((v) => historyEntry(ctx.baseUrl, v)),
  };
  return { status: 200, resource: bundle };
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
