/**
 * delete (DELETE [type]/[id]) and conditional delete (DELETE [type]?criteria, single match, under the condition's
 * lock: conditional-locks.ts). Without If-Match a lost race is retried (last-writer-wins.ts).
 * Deleting what does not exist or is already deleted answers 204 (idempotent, as HAPI does);
 * a later read answers 410 Gone and the history keeps every version.
 */
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { conflict, preconditionFailed } from '../errors.js';
import { assertMayChangeCurrent, requireWriteAccess } from '../access/write-access.js';
import { assertValidId } from '../check-resource-body.js';
import { VersionConflictError } from '../../store/resource-store.js';
import { criteriaLockKey, instanceLockKey, withLocks } from './conditional-locks.js';
import { lastWriterWins } from './last-writer-wins.js';
import { commitVersion } from './commit-version.js';
import { findMatches } from './find-matches.js';
import { readIfMatch } from './update.js';
import { etagOf } from '../resource-meta.js';

export async function deleteInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'delete', resourceType);
  assertValidId(id);
  return deleteResource(ctx, resourceType, id, readIfMatch(request));
}

export async function conditionalDeleteInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'delete', resourceType);
  const ifMatch = readIfMatch(request);
  return withLocks(ctx, [criteriaLockKey(resourceType, request.params)], async (locked) => {
    const matches = await findMatches(locked, resourceType, request.params);
    if (matches.length > 1)
      throw preconditionFailed(`The criteria match more than one ${resourceType}; nothing was deleted`);
    const [match] = matches;
    if (!match) return { status: 204 };
    return deleteResource(locked, resourceType, match.id as string, ifMatch);
  });
}

export async function deleteResource(
  ctx: FhirContext,
  resourceType: string,
  id: string,
  ifMatch?: number,
): Promise<FhirResponse> {
  const attempt = async (c: FhirContext): Promise<FhirResponse> => {
    const current = await c.store.read(resourceType, id);
    await assertMayChangeCurrent(c, 'delete', current);
    if (ifMatch !== undefined && current?.versionId !== ifMatch) {
      throw preconditionFailed(`If-Match W/"${ifMatch}" does not match ${resourceType}/${id}`);
    }
    if (!current || current.deleted) return { status: 204 };
    const stored = await commitVersion(c, resourceType, id, null, current.versionId);
    return { status: 204, headers: { ETag: etagOf(stored.versionId) } };
  };
  if (ifMatch !== undefined) {
    try {
      return await attempt(ctx);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      throw preconditionFailed(`${resourceType}/${id} was changed by someone else`);
    }
  }
  return lastWriterWins(ctx, instanceLockKey(resourceType, id), attempt, () =>
    conflict(`${resourceType}/${id} is being changed concurrently; try again`),
  );
}
