/** What the inbound pipeline needs, and its defaults. */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { LeaseOwner, MessageLog } from '../log/message-log.js';
import { DEFAULT_OPTIONS, type MappingOptions } from '../mapping/transform-context.js';
import type { SubmitTransaction } from './submit-transaction.js';
import type { StoreSearch } from './prepare/lookups.js';
import { fixedMappings, type SiteMappings } from './site-mapping-cache.js';

export interface InboundDeps {
  readonly submit: SubmitTransaction;
  /** The server's store-level search for what a message depends on (else GETs through `submit`). */
  readonly search?: StoreSearch;
  readonly log: MessageLog;
  /** The mapping set and code tables for a message (defaults + the site's fhir_mappings rows in scope). */
  readonly mappings: SiteMappings;
  readonly options?: MappingOptions;
  /** Who holds the lease of a message while it is processed (this process). */
  readonly owner?: LeaseOwner;
  /** How long a message may stay `processing` before another node (or a restart) takes it over. */
  readonly leaseMs?: number;
  /** MSH-11 values this server takes (default P: a production server writes no training or debugging message). */
  readonly processingIds?: readonly string[];
  /** The time (tests). */
  readonly now?: () => Date;
}

/** One id per process: `<host>:<random>`; rows held by another boot of the same node were left by a crash. */
export function processOwner(node = process.env.HL7_NODE_ID || hostname()): LeaseOwner {
  return { node: node.slice(0, 60), boot: randomUUID().slice(0, 8) };
}

const defaultOwner = processOwner();

export function resolved(deps: InboundDeps) {
  return {
    ...deps,
    options: deps.options ?? DEFAULT_OPTIONS,
    owner: deps.owner ?? defaultOwner,
    leaseMs: deps.leaseMs ?? 120_000,
    processingIds: deps.processingIds ?? ['P'],
    now: deps.now ?? (() => new Date()),
  };
}

export type ResolvedDeps = ReturnType<typeof resolved>;

/** Test/tool deps: the mapping defaults without site rows. */
export function simpleDeps(submit: SubmitTransaction, log: MessageLog, extra: Partial<InboundDeps> = {}): InboundDeps {
  return { submit, log, mappings: fixedMappings(), ...extra };
}
