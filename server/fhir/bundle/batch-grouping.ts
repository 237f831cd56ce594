/**
 * Which batch entries may be created together (batch-creates.ts) rather than one at a time through the router:
 * plain POST [type] entries (no query, a known type) of a type whose new resources no other entry's processing
 * reads — only their searches (ifNoneExist), which batch-creates.ts checks in memory. The types left out, and why:
 */
import type { FhirContext } from '../fhir-context.js';
import type { EntryRequest } from './entry-request.js';

export const ONE_AT_A_TIME_TYPES: ReadonlySet<string> = new Set([
  // the duplicate check after a Patient create searches the patients created before it (matching/created-patient.ts)
  'Patient',
  // validation of other resources reads client-made profiles and terminology (validation/validate-with-store.ts)
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'NamingSystem',
  'Questionnaire',
  'SearchParameter',
  // a Subscription's topic (Basic) is looked up in the store when the Subscription is written
  'Subscription',
  'Basic',
]);

/** True when the entry is a create batch-creates.ts may take: everything else goes through the router. */
export function isGroupableCreate(ctx: FhirContext, request: EntryRequest): boolean {
  const type = request.resourceType;
  return (
    request.method === 'POST' &&
    request.segments.length === 1 &&
    request.params.length === 0 &&
    type !== undefined &&
    ctx.resourceTypes.has(type) &&
    !ONE_AT_A_TIME_TYPES.has(type) &&
    // with a patient-context token, whose patient a new resource belongs to may be read from the resources it
    // references (access/patient-compartments.ts): one at a time, each sees the ones before it
    !ctx.access.compartment
  );
}
