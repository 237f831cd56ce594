/**
 * What an interaction needs, passed in by the composition root (server/app.ts): the store port and the
 * FHIR services (validation, index extraction, search), never a driver or express.
 */
import type { OperationOutcomeIssue, Parameters, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';
import type { ContentStore } from '../store/content/content-store.js';
import type { ResourceIndex } from './indexing/index-entry.js';
import type { AccessPolicy, Interaction } from './access-policy.js';
import type { Preferences } from './fhir-request.js';
import { forbidden } from './errors.js';
import type { SearchArgs, SearchResult } from './search/store-search.js';
import type { DuplicateCheck } from './matching/duplicate-check.js';
import type { SubscriptionWriteRules } from './subscriptions/subscription-write-rules.js';
import type { ValidateResourceOptions } from './validation/validate-resource.js';
import type { RequestLookups } from './terminology/request-lookups.js';

export type { SearchArgs, SearchResult } from './search/store-search.js';
import { DEFAULT_SEARCH_TIMEOUT_MS } from './search/search-constants.js';

export type FhirServices = {
  store: ResourceStore;
  /** Absolute base URL of the FHIR endpoint, without trailing slash: http://host:8080/fhir */
  baseUrl: string;
  resourceTypes: ReadonlySet<string>;
  /** Synchronous validation (validation/validate-resource.ts); writes and `$validate` go through validateWithStore. */
  validate: (resource: Resource, options?: ValidateResourceOptions) => OperationOutcomeIssue[];
  extractIndex: (resource: Resource) => ResourceIndex;
  compartmentsOf: (resource: Resource) => string[];
  /** The store-level search (stored versions + opaque cursors); Bundles are made only by the search interactions. */
  search: (args: SearchArgs) => Promise<SearchResult>;
  /** FHIRPath Patch (a Parameters resource) applied to a copy of the resource. */
  applyFhirPathPatch: (resource: Resource, patch: Parameters) => Resource;
  limits: {
    defaultPageSize: number;
    maxPageSize: number;
    maxBundleEntries: number;
    /** Time budget of one search, whose store queries are cancelled beyond it (default 10 s). */
    searchTimeoutMs?: number;
    /** Largest Binary content accepted (default 100 MiB, MAX_CONTENT_BYTES); 413 beyond. */
    maxContentBytes?: number;
  };
  /** Where Binary bytes live (store/content); absent: Binary data stays inline in the resource JSON. */
  contents?: ContentStore;
  /** Probable duplicates of a created Patient (matching/duplicate-check.ts); absent = no check. */
  duplicates?: DuplicateCheck;
  /** Checks and stamps Subscriptions written by callers (subscriptions/subscription-write-rules.ts). */
  subscriptions?: SubscriptionWriteRules;
  now: () => Date;
  newId: () => string;
};

export type FhirContext = FhirServices & {
  access: AccessPolicy;
  prefer: Preferences;
  requestId: string;
  /** True inside ResourceStore.withLocks (interactions/conditional-locks.ts): no further lock may be taken. */
  locked?: boolean;
  /** Logs an error nothing expected that was answered inside a response (a batch entry's 500). */
  reportError?: (error: unknown) => void;
  /**
   * Transactions of an internal caller that resends what it knows (HL7 inbound): a PUT whose resource equals the
   * current version writes nothing and answers that version (bundle/unchanged-update.ts).
   */
  unchangedWritesNothing?: boolean;
  /**
   * The client-made profiles and terminology this request looked up, for its later validations (a Bundle's entries:
   * terminology/request-lookups.ts). Absent: each lookup reads the store.
   */
  lookups?: RequestLookups;
};

/** The time budget of searches made for a client request. */
export function searchTimeoutMs(ctx: Pick<FhirServices, 'limits'>): number {
  return ctx.limits.searchTimeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
}

export function requireAccess(ctx: FhirContext, interaction: Interaction, resourceType: string): void {
  if (!ctx.access.allows(interaction, resourceType)) {
    const why = ctx.access.explainDenial?.(interaction, resourceType);
    throw forbidden(`The access token does not permit ${interaction} on ${resourceType}${why ? `: ${why}` : ''}`);
  }
}

// Which resources a caller may read or change is decided in ./access/ (read-access.ts, write-access.ts).
