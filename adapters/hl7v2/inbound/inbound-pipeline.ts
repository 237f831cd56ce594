/**
 * The one place the inbound pipeline (InboundDeps: submit, message log, site mappings, mapping options, lease owner,
 * processing ids) is assembled: the MLLP listener, the console's replay and `npm run hl7:replay` all build it here,
 * and differ only in the options they pass. A replay in a process whose listener runs reuses the listener's
 * pipeline (same lease owner, same mapping cache, same processing ids) with its own submit: `withSubmit`.
 */
import type { LeaseOwner, MessageLog } from '../log/message-log.js';
import { DEFAULT_OPTIONS, type MappingOptions } from '../mapping/transform-context.js';
import type { InboundDeps } from './inbound-deps.js';
import { siteMappings, type SiteMappingOptions } from './site-mapping-cache.js';
import type { SubmitTransaction } from './submit-transaction.js';
import type { StoreSearch } from './prepare/lookups.js';

export interface InboundPipelineOptions {
  readonly submit: SubmitTransaction;
  /** The server's store-level search (inbound-deps.ts `search`). */
  readonly search?: StoreSearch;
  readonly log: MessageLog;
  /** Mapping options over the defaults. */
  readonly mapping?: Partial<MappingOptions>;
  /** MSH-11 values taken (default P: HL7_PROCESSING_IDS on the server, --processing-ids on the CLI). */
  readonly processingIds?: readonly string[];
  /** Who holds a message's lease while it is processed (default: this process). */
  readonly owner?: LeaseOwner;
  readonly leaseMs?: number;
  /** How often the fhir_mappings version is checked (default 1 s; 0 = before every message). */
  readonly mappingsCheckEveryMs?: number;
  /** A site mapping row that cannot be used (reported once per row version). */
  readonly onMappingProblem?: (row: { id: string; name: string }, reason: string) => void;
  /** Code tables kept as ConceptMaps (site-mapping-cache.ts `codeMaps`). */
  readonly codeMaps?: SiteMappingOptions['codeMaps'];
  /** Moves fhir_mappings code rows into ConceptMaps (site-mapping-cache.ts `moveCodeRow`). */
  readonly moveCodeRow?: SiteMappingOptions['moveCodeRow'];
}

export function inboundPipeline(o: InboundPipelineOptions): InboundDeps {
  return {
    submit: o.submit,
    ...(o.search ? { search: o.search } : {}),
    log: o.log,
    mappings: siteMappings(o.log, {
      ...(o.mappingsCheckEveryMs !== undefined ? { checkEveryMs: o.mappingsCheckEveryMs } : {}),
      ...(o.onMappingProblem ? { onProblem: o.onMappingProblem } : {}),
      ...(o.codeMaps ? { codeMaps: o.codeMaps } : {}),
      ...(o.moveCodeRow ? { moveCodeRow: o.moveCodeRow } : {}),
    }),
    ...(o.mapping ? { options: { ...DEFAULT_OPTIONS, ...o.mapping } } : {}),
    ...(o.owner ? { owner: o.owner } : {}),
    ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
    ...(o.processingIds ? { processingIds: o.processingIds } : {}),
  };
}

/** The same pipeline writing through another client (the console's replay beside a running listener). */
export function withSubmit(deps: InboundDeps, submit: SubmitTransaction): InboundDeps {
  return { ...deps, submit };
}
