/**
 * The store-level search every internal caller uses ($export, $everything, conditional matching, the
 * internal client): FHIR search arguments → the stored versions that match, the included ones, and the
 * store's opaque cursors. No Bundle here: the search interactions turn a result into a searchset Bundle
 * at the response edge (search-interaction.ts), so an internal caller never parses a link URL back.
 */
import type { AccessPolicy } from '../access-policy.js';
import { badRequest, fhirError } from '../errors.js';
import { isResourceType, loadDefinitions } from '../definitions.js';
import {
  QueryTimeoutError,
  UnsupportedQueryError,
  type ResourceStore,
  type StoredVersion,
} from '../../store/resource-store.js';
import type { Condition, SearchPage } from './search-query.js';
import { parseSearch, type SearchHandling } from './parse-search.js';
import type { SummaryMode } from './parse-result-params.js';
import { fetchIncludes } from './fetch-includes.js';
import type { Terminology } from '../terminology/terminology.js';
import { resolveTerminologyModifiers } from './kinds/token/terminology-modifiers.js';
import { MAX_COUNT } from './search-constants.js';
import { resolveListParams } from './list-param.js';

export type SearchArgs = {
  store: ResourceStore;
  /** [] = system search (`[base]?_type=…`); one type for type-level and compartment search. */
  resourceTypes: string[];
  /** Decoded query or form pairs, in order. */
  params: Array<[string, string]>;
  /** e.g. http://h/fhir */
  baseUrl: string;
  compartment?: { resourceType: string; id: string };
  access: AccessPolicy;
  handling: SearchHandling;
  /** Page size for internal callers (capped at MAX_COUNT); overrides `_count`. */
  count?: number;
  /** A `nextCursor` of an earlier result for internal callers; overrides `_cursor`. */
  cursor?: string;
  /** Internal callers: conditions ANDed to the parsed ones (e.g. an OR of several compartments). */
  where?: Condition[];
  /**
   * Time budget of the whole search (matches and includes) in ms: its store queries are cancelled beyond it and
   * the search answers 503. Set for client requests (searchTimeoutMs in fhir-context.ts); absent: no budget.
   */
  timeoutMs?: number;
  /**
   * Terminology for token `:in`/`:not-in`/`:above`/`:below` (resolved to plain token lists before parsing);
   * without it those modifiers are turned away as before.
   */
  terminology?: Terminology;
};

export type SearchResult = {
  /** Current, non-deleted versions matching the search, in the search's order. */
  matches: StoredVersion[];
  /** Versions added by `_include` / `_revinclude`, held to the same AccessPolicy as the matches. */
  included: StoredVersion[];
  total?: number;
  /** The cursor this page was asked for (absent on the first page). */
  cursor?: string;
  /** Present when there may be more matches: pass it back as `cursor` for the next page. */
  nextCursor?: string;
  previousCursor?: string;
  /** Ignored parameters and caps reached, for an OperationOutcome entry. */
  warnings: string[];
  /** Names of the parameters that were ignored (lenient handling): left out of the self and paging links. */
  ignoredParams: string[];
  summary?: SummaryMode;
  elements?: string[];
};

export async function storeSearch(args: SearchArgs): Promise<SearchResult> {
  try {
    return await searchWithinBudget(args);
  } catch (err) {
    if (err instanceof QueryTimeoutError)
      throw fhirError(
        503,
        'timeout',
        `The search needed more than its time budget of ${args.timeoutMs ?? err.timeoutMs} ms and was stopped: narrow it (fewer or more selective parameters, fewer includes)`,
      );
    throw err;
  }
}

async function searchWithinBudget(args: SearchArgs): Promise<SearchResult> {
  const now = Date.now();
  const deadline = args.timeoutMs === undefined ? undefined : now + args.timeoutMs;
  /** What is left of the budget (undefined: none set); past it the search stops. */
  const remainingMs = (): number | undefined => {
    if (deadline === undefined) return undefined;
    const left = deadline - Date.now();
    if (left <= 0) throw new QueryTimeoutError(args.timeoutMs as number);
    return left;
  };
  const listed = await resolveListParams({ ...args, now });
  const params = args.terminology
    ? await resolveTerminologyModifiers(listed.params, args.resourceTypes, args.terminology)
    : listed.params;
  const parsed = parseSearch(args.resourceTypes, params, {
    handling: args.handling,
    baseUrl: args.baseUrl,
    compartment: args.compartment,
    access: args.access,
    now,
  });
  const { query } = parsed;
  if (args.count !== undefined) query.count = Math.max(0, Math.min(args.count, MAX_COUNT));
  if (args.cursor !== undefined) query.cursor = args.cursor;
  if (args.where) query.conditions.push(...args.where);
  query.conditions.push(...listed.conditions);
  let page: SearchPage<StoredVersion>;
  try {
    const budget = remainingMs();
    page = await args.store.search(budget === undefined ? query : { ...query, timeoutMs: budget });
  } catch (err) {
    if (err instanceof UnsupportedQueryError) throw badRequest(err.message);
    throw err;
  }

  const matches = page.entries.filter((v) => v.resource);
  const { included, warnings } =
    parsed.includes.length + parsed.revincludes.length > 0 && matches.length > 0
      ? await fetchIncludes({
          store: args.store,
          matches,
          includes: parsed.includes,
          revincludes: parsed.revincludes,
          access: args.access,
          remainingMs,
          ctx: {
            baseUrl: args.baseUrl,
            now,
            isResourceType,
            access: args.access,
            allResourceTypes: loadDefinitions().resourceTypes,
          },
        })
      : { included: [], warnings: [] };

  let total = page.total;
  if (total === undefined && !query.cursor && !page.nextCursor && query.count > 0) total = matches.length; // cheap: one page holds all
  if (query.total === 'none' && parsed.totalRequested) total = undefined;

  return {
    matches,
    included: included.filter((v) => v.resource),
    total,
    cursor: query.cursor,
    nextCursor: page.nextCursor,
    previousCursor: page.previousCursor,
    warnings: [...parsed.ignored.map((i) => `Parameter '${i.name}' was ignored: ${i.reason}`), ...warnings],
    ignoredParams: parsed.ignored.map((i) => i.name),
    summary: parsed.summary,
    elements: parsed.elements,
  };
}

/** Every match over all pages, a page at a time (memory stays one page whatever the result size). */
export async function* searchPages(
  args: SearchArgs,
  search: (args: SearchArgs) => Promise<SearchResult> = storeSearch,
): AsyncGenerator<StoredVersion[]> {
  let cursor = args.cursor;
  do {
    const page = await search({ ...args, cursor });
    yield page.matches;
    cursor = page.nextCursor;
  } while (cursor);
}
