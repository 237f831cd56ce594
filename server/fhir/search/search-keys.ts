/**
 * The keys (type, id, current version, lastUpdated) of the resources a search matches — no bodies read: the same
 * parameters and AccessPolicy as storeSearch, answered through ResourceStore.searchEntries. What a per-version cache
 * asks each request to learn whether what it holds is still current (terminology-context.ts), at the cost of an
 * index probe instead of reading and parsing the resources.
 */
import type { MatchEntries } from '../../store/resource-store.js';
import { UnsupportedQueryError } from '../../store/resource-store.js';
import { badRequest } from '../errors.js';
import { resolveListParams } from './list-param.js';
import { parseSearch } from './parse-search.js';
import type { SearchArgs } from './store-search.js';

export async function searchKeys(
  args: Omit<SearchArgs, 'count' | 'cursor' | 'terminology'>,
  limit: number,
): Promise<MatchEntries[]> {
  const now = Date.now();
  const listed = await resolveListParams({ ...args, now });
  const { query } = parseSearch(args.resourceTypes, listed.params, {
    handling: args.handling,
    baseUrl: args.baseUrl,
    compartment: args.compartment,
    access: args.access,
    now,
  });
  if (args.where) query.conditions.push(...args.where);
  query.conditions.push(...listed.conditions);
  if (args.timeoutMs !== undefined) query.timeoutMs = args.timeoutMs;
  try {
    return await args.store.searchEntries(query, [], limit);
  } catch (err) {
    if (err instanceof UnsupportedQueryError) throw badRequest(err.message);
    throw err;
  }
}
