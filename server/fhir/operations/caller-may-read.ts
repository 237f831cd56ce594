/**
 * The access decision of a read, for every resource an operation returns ($everything matches and includes,
 * $export lines): the caller may read the type, and the resource is visible to them (their compartment, SMART v2
 * constraints) — exactly what GET [type]/[id] checks in interactions/read.ts. When the auth layer provides its own
 * "may this caller read this resource" function, this delegates to it.
 */
import type { Resource } from '@medplum/fhirtypes';
import { visibleToCaller, type FhirContext } from '../fhir-context.js';

export function callerMayRead(ctx: FhirContext, resource: Resource): boolean {
  return ctx.access.allows('read', resource.resourceType) && visibleToCaller(ctx, resource);
}
