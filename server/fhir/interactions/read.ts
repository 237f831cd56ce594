/** read and vread, with conditional read (If-None-Match, If-Modified-Since → 304). */
import type { StoredVersion } from '../../store/resource-store.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { mayRead } from '../access/read-access.js';
import { forbidden, gone, notFound } from '../errors.js';
import { parseEtag, versionHeaders } from '../resource-meta.js';
import { assertValidId } from '../check-resource-body.js';

/** The current, non-deleted version the caller may see; 404 / 410 / 403 otherwise. */
export async function readCurrent(ctx: FhirContext, resourceType: string, id: string): Promise<StoredVersion> {
  assertValidId(id);
  const current = await ctx.store.read(resourceType, id);
  if (!current) throw notFound(`${resourceType}/${id} is not known`);
  if (current.deleted || !current.resource) throw gone(`${resourceType}/${id} was deleted`);
  if (!(await mayRead(ctx, current.resource)))
    throw forbidden(`${resourceType}/${id} is outside what the access token may read`);
  return current;
}

export async function readInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'read', resourceType);
  const current = await readCurrent(ctx, resourceType, id);
  return conditionalReadResponse(ctx, request, current);
}

export async function vreadInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
  versionText: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'vread', resourceType);
  assertValidId(id);
  const versionId = /^\d+$/.test(versionText) ? Number(versionText) : NaN;
  const version = Number.isSafeInteger(versionId) ? await ctx.store.vread(resourceType, id, versionId) : undefined;
  if (!version) throw notFound(`${resourceType}/${id} has no version ${versionText.slice(0, 40)}`);
  if (version.deleted || !version.resource) throw gone(`Version ${versionId} of ${resourceType}/${id} is a deletion`);
  if (!(await mayRead(ctx, version.resource)))
    throw forbidden(`${resourceType}/${id} is outside what the access token may read`);
  return conditionalReadResponse(ctx, request, version);
}

function conditionalReadResponse(ctx: FhirContext, request: FhirRequest, version: StoredVersion): FhirResponse {
  const headers = versionHeaders(ctx.baseUrl, version, false);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || parseEtag(tag) === version.versionId)) {
      return { status: 304, headers };
    }
  } else {
    const ifModifiedSince = request.headers['if-modified-since'];
    const since = ifModifiedSince ? Date.parse(ifModifiedSince) : NaN;
    // HTTP dates have second precision: compare at that precision.
    if (!Number.isNaN(since) && Math.floor(Date.parse(version.lastUpdated) / 1000) * 1000 <= since) {
      return { status: 304, headers };
    }
  }
  return { status: 200, headers, resource: version.resource ?? undefined };
}
