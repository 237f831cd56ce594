/**
 * update (PUT [type]/[id]) with If-Match, create-on-update with a client id, and conditional update
 * (PUT [type]?criteria, whose match and write run under the condition's lock: conditional-locks.ts).
 * Without If-Match an update is last-writer-wins: a writer that loses a race is retried on the newer version,
 * queued behind the other writers of that resource (instance lock), never answered 409. With If-Match, a lost race
 * is a 412 like any other mismatch.
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
import { moveBinaryData } from '../binary/binary-data.js';
import { moveAttachmentData } from '../binary/document-attachments.js';
import { discardFreshContent } from '../binary/pending-content.js';
import { findMatches } from './find-matches.js';
import { writeResponse } from './respond.js';
import { duplicateWarnings, withDuplicateWarnings } from '../matching/created-patient.js';
import { criteriaLockKey, instanceLockKey, withLocks } from './conditional-locks.js';
import { lastWriterWins } from './last-writer-wins.js';

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
  const ifMatch = readIfMatch(request);
  const { stored, created, id } = await withLocks(
    ctx,
    [criteriaLockKey(resourceType, request.params)],
    async (locked) => {
      const matches = await findMatches(locked, resourceType, request.params);
      if (matches.length > 1)
        throw preconditionFailed(`The criteria match more than one ${resourceType}; nothing was updated`);
      const [match] = matches;
      const bodyId = resource.id;
      let id: string;
      if (match) {
        if (bodyId !== undefined && bodyId !== match.id) {
          throw badRequest(
            `The id in the body (${bodyId}) is not the id of the matching ${resourceType} (${match.id})`,
          );
        }
        id = match.id as string;
      } else {
        id = bodyId ?? ctx.newId();
      }
      return { ...(await updateResource(locked, resource, id, ifMatch)), id };
    },
  );
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
  let toWrite = resource;
  const attempt = async (c: FhirContext) => {
    const current = await c.store.read(resource.resourceType, id);
    await assertMayChangeCurrent(c, interaction, current);
    assertIfMatch(resource.resourceType, id, current, ifMatch);
    if (!validated) {
      await assertMayWriteNew(c, interaction, resource);
      toWrite = await moveAttachmentData(c, await moveBinaryData(c, resource, current?.resource));
      await assertValid(c, toWrite);
      validated = true;
    }
    const stored = await commitVersion(c, resource.resourceType, id, toWrite, current?.versionId ?? 0);
    return { stored, created: !current || current.deleted };
  };
  try {
    if (ifMatch !== undefined) {
      try {
        return await attempt(ctx);
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        throw preconditionFailed(
          `${resource.resourceType}/${id} was changed by someone else (If-Match W/"${ifMatch}")`,
        );
      }
    }
    return await lastWriterWins(ctx, instanceLockKey(resource.resourceType, id), attempt, () =>
      conflict(`${resource.resourceType}/${id} is being changed concurrently; try again`),
    );
  } catch (error) {
    if (toWrite !== resource) await discardFreshContent(ctx, [toWrite]);
    throw error;
  }
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
