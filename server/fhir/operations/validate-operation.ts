/**
 * $validate at type level (POST [type]/$validate) and instance level (POST|GET [type]/[id]/$validate).
 * The body is the resource, or a Parameters with `resource`, `mode` (create | update | delete) and `profile`.
 * Always answers 200 with an OperationOutcome (the outcome is the result; HAPI and the spec agree), except
 * when the request itself is malformed.
 */
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest, issue, operationOutcome } from '../errors.js';
import { checkResourceBody } from '../check-resource-body.js';
import { readCurrent } from '../interactions/read.js';
import { validateWithStore } from '../validation/validate-with-store.js';

export async function validateOperation(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id?: string,
): Promise<FhirResponse> {
  requireAccess(ctx, 'operation', resourceType);
  const { resource, mode, profiles } = await readInput(ctx, request, resourceType, id);
  if (mode === 'delete') {
    return { status: 200, resource: ok('Deleting this resource raises no validation issue on this server') };
  }
  if (!resource) throw badRequest('$validate needs a resource (in the body, or the stored instance)');
  const checked = checkResourceBody(resource, ctx.resourceTypes, {
    resourceType,
    id: mode === 'update' ? id : undefined,
  });
  const issues = await validateWithStore(ctx, checked, { profiles, extensible: true });
  const outcome: OperationOutcome = issues.length > 0 ? operationOutcome(issues) : ok('No issues found');
  return { status: 200, resource: outcome };
}

async function readInput(
  ctx: FhirContext,
  request: FhirRequest,
  resourceType: string,
  id: string | undefined,
): Promise<{ resource?: Resource; mode?: string; profiles: string[] }> {
  const profiles = request.params.filter(([k]) => k === 'profile').map(([, v]) => v);
  const body = request.body as Resource | undefined;
  if (body && body.resourceType === 'Parameters') {
    const parameters = body;
    const get = (name: string) => parameters.parameter?.find((p) => p.name === name);
    const profile = get('profile')?.valueUri ?? get('profile')?.valueCanonical;
    return {
      resource:
        get('resource')?.resource ??
        (id ? ((await readCurrent(ctx, resourceType, id)).resource ?? undefined) : undefined),
      mode: get('mode')?.valueCode ?? get('mode')?.valueString ?? param(request, 'mode'),
      profiles: profile ? [...profiles, profile] : profiles,
    };
  }
  if (body) return { resource: body, mode: param(request, 'mode'), profiles };
  if (id)
    return {
      resource: (await readCurrent(ctx, resourceType, id)).resource ?? undefined,
      mode: param(request, 'mode'),
      profiles,
    };
  return { profiles };
}

function ok(text: string): OperationOutcome {
  return operationOutcome([issue('informational', text, { severity: 'information' })]);
}
