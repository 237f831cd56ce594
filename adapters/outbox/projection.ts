/**
 * A projection: which resource types it takes, a pure mapping per version, and the tables it owns (for rebuilds).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RowWrite } from './rows.js';

export type ProjectionName = 'billing' | 'lab' | 'medication' | 'device';

export type Projection = {
  name: ProjectionName;
  /** Whether a change of this resource type may concern the projection (the mapping may still return []). */
  accepts(resourceType: string): boolean;
  /**
   * The rows for this version of a resource (pure). Throws MappingError when it cannot be placed. `previous` (the
   * version before, read only for projections that set `readsPrevious`) lets a mapping remove rows whose key changed.
   */
  map(resource: Resource, version: number, previous?: Resource): RowWrite[];
  /** The version before an update is read and passed to `map` (costs one vread per update; not done by rebuilds). */
  readsPrevious?: boolean;
  /** The rows to remove when version `version` deletes the resource; `previous` is the version before it. */
  mapDelete(resourceType: string, id: string, version: number, previous: Resource | undefined): RowWrite[];
  /** Tables cleared (only FHIR-projected rows) before a rebuild, children first. */
  rebuildClears: Array<{ table: string; where: string }>;
};
