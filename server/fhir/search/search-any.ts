/**
 * The first page of each of several store-level searches, as one set of stored versions (each resource once, no
 * order): the parse of each search is storeSearch's (same parameters, same access policy, `where` ANDed), and the
 * store answers them together — in one statement on PostgreSQL (ResourceStore.searchAny). For internal callers
 * that read candidates, not pages: no `_include`, `_list`, terminology modifiers, cursors or totals.
 */
import { badRequest } from '../errors.js';
import { UnsupportedQueryError, type StoredVersion } from '../../store/resource-store.js';
import { searchAny } from '../../store/search-any.js';
import { parseSearch } from './parse-search.js';
import type { SearchQuery } from './search-query.js';
import { MAX_COUNT } from './search-constants.js';
import type { SearchArgs } from './store-search.js';

export type AnySearchArgs = Omit<SearchArgs, 'cursor' | 'terminology' | 'compartment' | 'store'> & {
  count: number;
  /** The parameter whose condition selects the fewest resources (SearchQuery.lead: a plan hint, same result). */
  lead?: string;
};

export async function storeSearchAny(store: SearchArgs['store'], searches: AnySearchArgs[]): Promise<StoredVersion[]> {
  const now = Date.now();
  const queries: SearchQuery[] = searches.map((args) => {
    const parsed = parseSearch(args.resourceTypes, args.params, {
      handling: args.handling,
      baseUrl: args.baseUrl,
      access: args.access,
      now,
    });
    if (parsed.includes.length + parsed.revincludes.length > 0)
      throw new Error('storeSearchAny reads matches only: _include and _revinclude are not supported');
    const query: SearchQuery = {
      ...parsed.query,
      total: 'none' as const,
      count: Math.max(0, Math.min(args.count, MAX_COUNT)),
    };
    if (args.where) query.conditions = [...query.conditions, ...args.where];
    const lead =
      args.lead === undefined ? -1 : query.conditions.findIndex((c) => 'param' in c && c.param === args.lead);
    if (lead >= 0) query.lead = lead;
    return args.timeoutMs === undefined ? query : { ...query, timeoutMs: args.timeoutMs };
  });
  try {
    return (await searchAny(store, queries)).filter((v) => v.resource);
  } catch (err) {
    if (err instanceof UnsupportedQueryError) throw badRequest(err.message);
    throw err;
  }
}
