/**
 * Compartment membership (Patient, Encounter, Practitioner, RelatedPerson, Device; R4 definitions in
 * compartment-definitions.ts): a resource is in the compartment of every resource of the compartment's
 * type that one of its listed reference parameters points at; a compartment resource is in its own.
 */
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from './index-entry.js';
import { COMPARTMENT_TYPES, compartmentParams } from './compartment-definitions.js';
import { extractionPlan } from './extraction-plan.js';
import { extractReference } from '../search/kinds/reference/extract-reference.js';

/** The compartments `resource` belongs to, as `Type/id` (e.g. `['Patient/123', 'Encounter/9']`), sorted. */
export function compartmentsOf(resource: Resource): string[] {
  const type = resource?.resourceType;
  if (typeof type !== 'string') return [];
  const wanted = new Set(COMPARTMENT_TYPES.flatMap((c) => compartmentParams(c, type)));
  const entries: IndexEntry[] = [];
  if (wanted.size > 0) {
    const root = toTypedValue(resource);
    const variables = { '%resource': root, '%rootResource': root };
    for (const plan of extractionPlan(type)) {
      if (plan.kind !== 'reference' || !wanted.has(plan.code)) continue;
      try {
        const values = plan.fast ? plan.fast(resource) : evalFhirPathTyped(plan.atom, [root], variables);
        for (const value of values) extractReference(plan.code, value, entries);
      } catch {
        // an expression that cannot be evaluated on odd data adds nothing
      }
    }
  }
  return compartmentsFromEntries(type, resource.id, entries);
}

/** Compartments from already extracted index entries (what extractIndex uses). */
export function compartmentsFromEntries(
  resourceType: string,
  id: string | undefined,
  entries: readonly IndexEntry[],
): string[] {
  const found = new Set<string>();
  const ownId = typeof id === 'string' && id.length > 0 ? id : undefined;
  for (const compartment of COMPARTMENT_TYPES) {
    const params = compartmentParams(compartment, resourceType);
    if (resourceType === compartment && ownId) found.add(`${compartment}/${ownId}`);
    if (params.length === 0) continue;
    for (const entry of entries) {
      if (entry.kind !== 'reference' || entry.targetType !== compartment || !entry.targetId) continue;
      if (params.includes(entry.param)) found.add(`${compartment}/${entry.targetId}`);
    }
  }
  return [...found].sort();
}
