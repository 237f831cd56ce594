/**
 * patch (PATCH [type]/[id]) with JSON Patch (application/json-patch+json) or FHIRPath Patch
 * (a Parameters resource, application/fhir+json). The patched resource is validated like an update;
 * the resource type and id cannot be patched. Without If-Match, a concurrent change re-applies the
 * patch on the newer version.
 */
import type { Parameters, Resource } from '@medplum/fhirtypes';
import fastJsonPatch from 'fast-json-patch';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { assertMayChangeCurrent, requireWriteAccess } from '../access/write-access.js';
import { FhirError, badRequest, conflict, fhirError } from '../errors.js';
import { readCurrent } from './read.js';
import { readIfMatch, updateResource } from './update.js';
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
  const apply = patchFunction(ctx, request);
  const ifMatch = readIfMatch(request);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readCurrent(ctx, resourceType, id);
    await assertMayChangeCurrent(ctx, 'patch', current);
    const patched = apply(cloneJson(current.resource as Resource)); // keeps the decimals' texts
    const checked = checkResourceBody(patched, ctx.resourceTypes, { resourceType, id, requireId: true });
    try {
      const { stored } = await updateResource(ctx, checked, id, ifMatch ?? current.versionId, 'patch');
      return writeResponse(ctx, 200, stored, `Patched ${resourceType}/${id}`);
    } catch (error) {
      const lostRace = error instanceof FhirError && error.status === 412 && ifMatch === undefined;
      if (!lostRace) throw error;
    }
  }
  throw conflict(`${resourceType}/${id} is being changed concurrently; try again`);
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
