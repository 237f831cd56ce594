/**
 * A Provenance written by a transaction that writes nothing for what is already stored (FhirContext
 * .unchangedWritesNothing: HL7 inbound) names only what the transaction wrote. An entry left at its current version
 * (equal content, or an ifNoneExist that matched) is not among its targets; a Provenance with no target left is not
 * written at all (Provenance.target is 1..*, and a record of a change that did not happen would be false).
 * Targets that are not entries of the transaction are kept as submitted.
 */
import type { Provenance, Reference, Resource } from '@medplum/fhirtypes';

/** `Type/id` of a reference (a version-specific one, `Type/id/_history/n`, by its resource). */
function resourceKey(reference: string): string {
  const at = reference.indexOf('/_history/');
  return at < 0 ? reference : reference.slice(0, at);
}

/**
 * The Provenance with the targets in `unwritten` (`Type/id` of the entries that wrote nothing) left out, or
 * undefined when no target is left; any other resource is returned as it is.
 */
export function narrowedProvenance(
  resource: Resource | null,
  unwritten: ReadonlySet<string>,
): Resource | null | undefined {
  if (resource?.resourceType !== 'Provenance' || unwritten.size === 0) return resource;
  const targets: Reference[] = resource.target ?? [];
  const kept = targets.filter((t) => !t.reference || !unwritten.has(resourceKey(t.reference)));
  if (kept.length === targets.length) return resource;
  if (kept.length === 0) return undefined;
  return { ...resource, target: kept } satisfies Provenance;
}
