/**
 * Which patients a resource belongs to, for access decisions: its Patient compartments (R4 CompartmentDefinition),
 * and for a Binary with a `securityContext` the patients of that context ("access to the Binary is governed by
 * the resource referenced", FHIR R4 Binary). A context that cannot be resolved counts as a patient no token
 * covers, so such a Binary is refused to patient-context callers rather than treated as shared.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';

export type CompartmentContext = Pick<FhirContext, 'store' | 'compartmentsOf' | 'baseUrl'>;

/** Stands for an owner that could not be determined (fails closed: matches no token's patient). */
export const UNRESOLVED_OWNER = 'Patient/?';

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})$/;

export function ownPatientCompartments(ctx: Pick<FhirContext, 'compartmentsOf'>, resource: Resource): string[] {
  return ctx.compartmentsOf(resource).filter((c) => c.startsWith('Patient/'));
}

/** `Patient/<id>` of every patient the resource belongs to (empty: shared data such as a Practitioner). */
export async function patientCompartmentsOf(ctx: CompartmentContext, resource: Resource): Promise<string[]> {
  const own = ownPatientCompartments(ctx, resource);
  const context = securityContextOf(ctx, resource);
  if (context === undefined) return own;
  if (context === null) return [...own, UNRESOLVED_OWNER];
  if (context.resourceType === 'Patient') return [...new Set([...own, `Patient/${context.id}`])];
  const target = await ctx.store.read(context.resourceType, context.id);
  if (!target?.resource) return [...own, UNRESOLVED_OWNER];
  return [...new Set([...own, ...ownPatientCompartments(ctx, target.resource)])];
}

/** The Binary's securityContext as a local key; undefined when there is none, null when it is not a local reference. */
export function securityContextOf(
  ctx: Pick<FhirContext, 'baseUrl'>,
  resource: Resource,
): { resourceType: string; id: string } | null | undefined {
  if (resource.resourceType !== 'Binary') return undefined;
  const context = resource.securityContext;
  if (!context) return undefined;
  let reference = context.reference;
  if (typeof reference !== 'string') return null;
  if (reference.startsWith(ctx.baseUrl + '/')) reference = reference.slice(ctx.baseUrl.length + 1);
  const m = LOCAL_REFERENCE.exec(reference);
  return m ? { resourceType: m[1]!, id: m[2]! } : null;
}
