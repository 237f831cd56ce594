/**
 * create (POST [type]) with server-assigned ids, and conditional create (If-None-Exist), whose match and create run
 * under the condition's lock (conditional-locks.ts): N identical requests at once create one resource, the others
 * answer 200 with it.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { preconditionFailed } from '../errors.js';
import { assertMayWriteNew, requireWriteAccess } from '../access/write-access.js';
import { checkResourceBody } from '../check-resource-body.js';
import { assertValid } from './assert-valid.js';
import { moveBinaryData } from '../binary/binary-data.js';
import { moveAttachmentData } from '../binary/document-attachments.js';
import { discardFreshContent } from '../binary/pending-content.js';
import { asStored, prepareWrites } from './commit-version.js';
import type { StoredVersion, VersionWrite } from '../../store/resource-store.js';
import { findMatches, parseCriteria } from './find-matches.js';
import { criteriaLockKey, withLocks } from './conditional-locks.js';
import { writeResponse } from './respond.js';
import { versionHeaders } from '../resource-meta.js';
import { duplicateWarnings, withDuplicateWarnings } from '../matching/created-patient.js';

export async function createInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'create', resourceType);
  const resource = checkResourceBody(request.body, ctx.resourceTypes, { resourceType });
  const ifNoneExist = request.headers['if-none-exist'];
  let created;
  if (ifNoneExist) {
    const criteria = parseCriteria(ifNoneExist);
    const outcome = await withLocks(ctx, [criteriaLockKey(resourceType, criteria)], async (locked) => {
      const existing = await findMatches(locked, resourceType, criteria);
      if (existing.length > 1) {
        throw preconditionFailed(`If-None-Exist "${ifNoneExist}" matches more than one ${resourceType}`);
      }
      const [match] = existing;
      return match ? { match } : { created: await createResource(locked, resource) };
    });
    if (outcome.match) return existingMatchResponse(ctx, outcome.match);
    created = outcome.created;
  } else {
    created = await createResource(ctx, resource);
  }
  return createdResponse(ctx, created);
}

/** The 201 of a created resource, with the duplicate-patient warnings of a Patient (matching/created-patient.ts). */
export async function createdResponse(ctx: FhirContext, created: StoredVersion): Promise<FhirResponse> {
  const duplicates = await duplicateWarnings(ctx, created, true, 'rest');
  const response = await writeResponse(ctx, 201, created, `Created ${created.resourceType}/${created.id}`);
  return withDuplicateWarnings(response, duplicates);
}

/** Validates and writes a new resource with a fresh server id (any id in the body is ignored, as the spec says). */
export async function createResource(ctx: FhirContext, resource: Resource): Promise<StoredVersion> {
  const { toWrite, write, companions } = await prepareNewResource(ctx, resource);
  try {
    await ctx.store.write([...companions, write]);
    return asStored(write);
  } catch (error) {
    await discardFreshContent(ctx, [toWrite]);
    throw error;
  }
}

/**
 * createResource up to the store write: access to the new resource, its Binary content moved, validated, its versions
 * prepared with a fresh id (`toWrite`: the resource as it will be stored). Its fresh content is discarded if that fails.
 */
export async function prepareNewResource(
  ctx: FhirContext,
  resource: Resource,
): Promise<{ toWrite: Resource; write: VersionWrite; companions: VersionWrite[] }> {
  await assertMayWriteNew(ctx, 'create', resource);
  const toWrite = await moveAttachmentData(ctx, await moveBinaryData(ctx, resource));
  try {
    await assertValid(ctx, toWrite);
    return { toWrite, ...(await prepareWrites(ctx, toWrite.resourceType, ctx.newId(), toWrite, 0)) };
  } catch (error) {
    await discardFreshContent(ctx, [toWrite]);
    throw error;
  }
}

export async function existingMatchResponse(ctx: FhirContext, match: Resource): Promise<FhirResponse> {
  const versionId = Number(match.meta?.versionId ?? 1);
  const stored = {
    resourceType: match.resourceType,
    id: match.id as string,
    versionId,
    lastUpdated: match.meta?.lastUpdated ?? ctx.now().toISOString(),
    deleted: false,
    resource: match,
  };
  const response = await writeResponse(
    ctx,
    200,
    stored,
    `${match.resourceType}/${match.id} already matches If-None-Exist; nothing created`,
  );
  return { ...response, headers: { ...versionHeaders(ctx.baseUrl, stored, true), ...response.headers } };
}
