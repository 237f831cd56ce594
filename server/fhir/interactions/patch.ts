/**
 * patch (PATCH [type]/[id]) with JSON Patch (application/json-patch+json) or FHIRPath Patch
 * (a Parameters resource, application/fhir+json). The patched resource is validated like an update;
 * the resource type and id cannot be patched. Without If-Match, a concurrent change re-applies the
 * patch on the newer version (last-writer-wins.ts). Conditional patch (PATCH [type]?criteria, one match) runs its
 * match and write under the condition's lock (conditional-locks.ts).
 */
import type { Parameters, Resource } from '@medplum/fhirtypes';
import fastJsonPatch from 'fast-json-patch';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { assertMayChangeCurrent, requireWriteAccess } from '../access/write-access.js';
import { FhirError, badRequest, conflict, fhirError, notFound, preconditionFailed } from '../errors.js';
import { readCurrent } from './read.js';
import { readIfMatch, updateResource } from './update.js';
import { findMatches } from './find-matches.js';
import { criteriaLockKey, instanceLockKey, withLocks } from './conditional-locks.js';
import { lastWriterWins } from './last-writer-wins.js';
import { checkResourceBody } from '../check-resource-body.js';
import { writeResponse } from './respond.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import { cloneJson } from '../../json/number-texts.js';

const { validate: validateJsonPatch } = fastJsonPatch;

export async function patchInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'patch', resourceType);
  return patchResource(ctx, request, resourceType, id);
}

export async function conditionalPatchInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'patch', resourceType);
  patchFunction(ctx, request); // a body that is no patch is refused before any search
  return withLocks(ctx, [criteriaLockKey(resourceType, request.params)], async (locked) => {
    const matches = await findMatches(locked, resourceType, request.params);
    if (matches.length > 1)
      throw preconditionFailed(`The criteria match more than one ${resourceType}; nothing was patched`);
    const [match] = matches;
    if (!match) throw notFound(`No ${resourceType} matches the criteria; nothing was patched`);
    return patchResource(locked, request, resourceType, match.id as string);
  });
}

async function patchResource(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string,
): Promise<FhirResponse> {
  const apply = patchFunction(ctx, request);
  const ifMatch = readIfMatch(request);
  const attempt = async (c: FhirContext): Promise<FhirResponse> => {
    const current = await readCurrent(c, resourceType, id);
    await assertMayChangeCurrent(c, 'patch', current);
    const patched = apply(cloneJson(current.resource as Resource)); // keeps the decimals' texts
    const checked = checkResourceBody(patched, c.resourceTypes, { resourceType, id, requireId: true });
    const { stored } = await updateResource(c, checked, id, ifMatch ?? current.versionId, 'patch');
    return writeResponse(c, 200, stored, `Patched ${resourceType}/${id}`);
  };
  if (ifMatch !== undefined) return attempt(ctx);
  // the patch was applied to a version someone else replaced meanwhile: applied again to the newer one
  const lostRace = (error: unknown) => error instanceof FhirError && error.status === 412;
  return lastWriterWins(
    ctx,
    instanceLockKey(resourceType, id),
    attempt,
    () => conflict(`${resourceType}/${id} is being changed concurrently; try again`),
    lostRace,
  );
}

export function patchFunction(ctx: FhirContext, request: FhirRequest): (resource: Resource) => unknown {
  const body = request.body;
  if (request.contentType === 'application/json-patch+json' || Array.isArray(body)) {
    if (!Array.isArray(body)) throw badRequest('A JSON Patch body must be an array of operations');
    const problem = validateJsonPatch(body as fastJsonPatch.Operation[]);
    if (problem) throw badRequest(`Invalid JSON Patch: ${problem.message}`);
    return (resource) => {
      try {
        return applyJsonPatch(resource, body as fastJsonPatch.Operation[]);
      } catch (error) {
        throw fhirError(
          422,
          'processing',
          `JSON Patch could not be applied: ${(error as Error).message.split('\n')[0]}`,
        );
      }
    };
  }
  if (body && typeof body === 'object' && (body as Resource).resourceType === 'Parameters') {
    return (resource) => ctx.applyFhirPathPatch(resource, body as Parameters);
  }
  throw fhirError(
    415,
    'not-supported',
    'PATCH takes application/json-patch+json (JSON Patch) or a FHIRPath Patch Parameters resource',
  );
}
