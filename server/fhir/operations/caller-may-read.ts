/**
 * The access decision of a read, for every resource an operation returns ($everything matches and includes,
 * $export lines): exactly what GET [type]/[id] decides — it delegates to the one read decision of the access layer
 * (access/read-access.ts: type, SMART v2 constraints, Binary securityContext, the caller's compartment and the
 * shared resources that compartment refers to).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { mayRead } from '../access/read-access.js';

export { readableResources, readableVersions } from '../access/read-access.js';

export function callerMayRead(ctx: FhirContext, resource: Resource): Promise<boolean> {
  return mayRead(ctx, resource);
}
