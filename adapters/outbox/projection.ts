/**
 * A projection: which resource types it takes, a pure mapping per version, and the tables it owns (for rebuilds).
 * A mapping sees the resource version plus MapInputs, which the dispatcher gathers before mapping (reads of the
 * FHIR store: merges, referenced resources as they were, code maps), so that the mapping itself stays pure.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { RowWrite } from './rows.js';
import type { SqlTx } from './sql-client.js';
import type { CodeTranslator } from './terminology.js';

export type ProjectionName = 'billing' | 'lab' | 'medication' | 'device';

export type MapInputs = {
  /** meta.lastUpdated of the version being mapped (ISO instant). */
  lastUpdated: string;
  /** The version before, as last applied (projections that set `readsPrevious`, and deletes); absent in rebuilds. */
  previous?: Resource;
  /** Patient id → the id of the Patient that replaced it (Patient.link replaced-by, followed to the end). */
  survivors: ReadonlyMap<string, string>;
  /** The resources named by `asOfReferences`, as they were when this version was written ('Type/id' → resource). */
  asOf: ReadonlyMap<string, Resource>;
  /** Code translations from the FHIR store's ConceptMaps (SNOMED CT → ICD-10 …). */
  translate: CodeTranslator;
  /** ISO instant: device readings older than this are past the retention window and are not written. */
  readingsNotBefore: string;
};

/** How a rebuild finds the rows it owns (source = 'fhir') and sweeps the ones no resource produces any more. */
export type RebuildPlan = {
  /** Tables with fhir_version: marked stale (version 0), upserted in place, the rest soft- or hard-deleted. */
  versioned: Array<{ table: string; soft: boolean }>;
  /** Child rows without a version (lines, allocations): rewritten by their parent's delivery, the rest deleted. */
  children: string[];
  /** Leaf rows nothing refers to (device readings): removed before the rebuild and written again. */
  leaves: string[];
};

export type Projection = {
  name: ProjectionName;
  /** Whether a change of this resource type may concern the projection (the mapping may still return []). */
  accepts(resourceType: string): boolean;
  /** The rows for this version of a resource (pure). Throws MappingError when it cannot be placed. */
  map(resource: Resource, version: number, inputs: MapInputs): RowWrite[];
  /** The last applied version is read and passed as `inputs.previous` (one vread per update; not in rebuilds). */
  readsPrevious?: boolean;
  /** References ('Condition/abc') whose version as of this one's lastUpdated the mapping needs. */
  asOfReferences?(resource: Resource): string[];
  /** Resource types whose mapping translates codes through ConceptMaps. */
  translatesCodes?(resourceType: string): boolean;
  /** The rows to change when version `version` deletes the resource; `inputs.previous` is the version before it. */
  mapDelete(resourceType: string, id: string, version: number, inputs: MapInputs): RowWrite[];
  rebuild: RebuildPlan;
  /** After a rebuild swept rows: recompute what was derived from them (balances). */
  afterRebuild?(tx: SqlTx): Promise<void>;
};
