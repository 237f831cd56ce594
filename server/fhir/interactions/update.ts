/**
 * update (PUT [type]/[id]) with If-Match, create-on-update with a client id, and conditional update
 * (PUT [type]?criteria). A concurrent writer without If-Match is retried on the newer version;
 * with If-Match, a lost race is a 412 like any other mismatch.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { badRequest, conflict, preconditionFailed } from '../errors.js';
import { assertMayChangeCurrent, assertMayWriteNew, requireWriteAccess } from '../access/write-access.js';
import { assertValidId, checkResourceBody } from '../check-resource-body.js';
import { parseEtag } from '../resource-meta.js';
import { VersionConflictError, type StoredVersion } from '../../store/resource-store.js';
import { assertValid } from './assert-valid.js';
import { commitVersion } from './commit-version.js';
import { findMatches } from './find-matches.js';
import { writeResponse } from './respond.js';
import { duplicateWarnings, withDuplicateWarnings } from '../matching/created-patient.js';

const MAX_ATTEMPTS = 5;

export async function updateInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'update', resourceType);
  assertValidId(id);
  const resource = checkResourceBody(request.body, ctx.resourceTypes, { resourceType, id, requireId: true });
  const ifMatch = readIfMatch(request);
  const { stored, created } = await updateResource(ctx, resource, id, ifMatch);
  const duplicates = await duplicateWarnings(ctx, stored, created, 'rest');
  const message = `${created ? 'Created' : 'Updated'} ${resourceType}/${id}`;
  return withDuplicateWarnings(await writeResponse(ctx, created ? 201 : 200, stored, message), duplicates);
}

export async function conditionalUpdateInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'update', resourceType);
  const resource = checkResourceBody(request.body, ctx.resourceTypes, { resourceType });
  const matches = await findMatches(ctx, resourceType, request.params);
  if (matches.length > 1)
    throw preconditionFailed(`The criteria match more than one ${resourceType}; nothing was updated`);
  const [match] = matches;
  const bodyId = resource.id;
  let id: string;
  if (match) {
    if (bodyId !== undefined && bodyId !== match.id) {
      throw badRequest(`The id in the body (${bodyId}) is not the id of the matching ${resourceType} (${match.id})`);
    }
    id = match.id as string;
  } else {
    id = bodyId ?? ctx.newId();
  }
  const { stored, created } = await updateResource(ctx, resource, id, readIfMatch(request));
  const duplicates = await duplicateWarnings(ctx, stored, created, 'rest');
  const message = `${created ? 'Created' : 'Updated'} ${resourceType}/${id}`;
  return withDuplicateWarnings(await writeResponse(ctx, created ? 201 : 200, stored, message), duplicates);
}

export function readIfMatch(request: FhirRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const version = parseEtag(header);
  if (version === undefined) throw badRequest(`If-Match "${header.slice(0, 40)}" is not a version ETag such as W/"3"`);
  return version;
}

/**
 * Validates and writes `resource` as the next version of `id`; creates it when absent (or deleted). Access to the
 * current version is decided before anything else (`interaction` 'patch' when the caller already checked it).
 */
export async function updateResource(
  ctx: FhirContext,
  resource: Resource,
  id: string,
  ifMatch: number | undefined,
  interaction: 'update' | 'patch' = 'update',
): Promise<{ stored: StoredVersion; created: boolean }> {
  let validated = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await ctx.store.read(resource.resourceType, id);
    await assertMayChangeCurrent(ctx, interaction, current);
    assertIfMatch(resource.resourceType, id, current, ifMatch);
    if (!validated) {
      await assertMayWriteNew(ctx, interaction, resource);
      assertValid(ctx, resource);
      validated = true;
    }
    try {
      const stored = await commitVersion(ctx, resource.resourceType, id, resource, current?.versionId ?? 0);
      return { stored, created: !current || current.deleted };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (ifMatch !== undefined)
        throw preconditionFailed(
          `${resource.resourceType}/${id} was changed by someone else (If-Match W/"${ifMatch}")`,
        );
    }
  }
  throw conflict(`${resource.resourceType}/${id} is being changed concurrently; try again`);
}

function assertIfMatch(
  resourceType: string,
  id: string,
  current: StoredVersion | undefined,
  ifMatch: number | undefined,
): void {
  if (ifMatch === undefined) return;
  if (!current || current.versionId !== ifMatch) {
    throw preconditionFailed(
      `If-Match W/"${ifMatch}" does not match ${resourceType}/${id}: current version is ${current ? current.versionId : 'none'}`,
    );
  }
}
