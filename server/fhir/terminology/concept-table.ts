/**
 * Placeholder seam for store-backed concept tables (large uploaded code systems); filled in by the concept table
 * implementations.
 */
import type { CodeSystem } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import type { ConceptSource } from './concept-source.js';

export interface ConceptTable {
  sourceOf(cs: CodeSystem): Promise<ConceptSource | undefined>;
}

export function conceptTableOf(_store: ResourceStore): ConceptTable | undefined {
  return undefined;
}
