/**
 * `_list=[id]` (R4 search.html#list): the search is restricted to the resources a List names in `entry.item` (entries
 * flagged `deleted` left out). Resolved before the search is parsed, because the List is read from the store: it is
 * found through a search of List by `_id` under the caller's AccessPolicy, so a List the caller could not find itself
 * (another patient's, a type it may not search) restricts the search to nothing, and reveals nothing. Comma values
 * are OR (the union of the lists), repeated `_list` parameters AND. Functional lists (`$current-problems`, …) are
 * not supported (400); nor is `_list` in a search across several types.
 */
import type { List } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../access-policy.js';
import { badRequest } from '../errors.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { Condition } from './search-query.js';
import { parseSearch } from './parse-search.js';
import { splitOr, unescapeValue } from './split-values.js';

/** Most Lists one `_list` parameter may name. */
const MAX_LISTS = 20;

export type ListArgs = {
  store: ResourceStore;
  resourceTypes: string[];
  params: Array<[string, string]>;
  baseUrl: string;
  access: AccessPolicy;
  now: number;
};

/** The params without `_list`, and one id condition per `_list` parameter. */
export async function resolveListParams(
  args: ListArgs,
): Promise<{ params: Array<[string, string]>; conditions: Condition[] }> {
  const lists = args.params.filter(([name]) => name.split(':')[0] === '_list');
  if (lists.length === 0) return { params: args.params, conditions: [] };
  const conditions: Condition[] = [];
  for (const [name, value] of lists) {
    if (name !== '_list') throw badRequest(`${name}: _list takes no modifier`, [name]);
    if (args.resourceTypes.length !== 1)
      throw badRequest('_list is supported in a search of one resource type', [name]);
    const ids = splitOr(value).map(unescapeValue);
    for (const id of ids) {
      if (id.startsWith('$'))
        throw badRequest(`_list: functional lists such as '${id.slice(0, 40)}' are not supported`, [name]);
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`_list: '${id.slice(0, 40)}' is not a List id`, [name]);
    }
    if (ids.length > MAX_LISTS) throw badRequest(`_list names more than ${MAX_LISTS} Lists`, [name]);
    conditions.push({ kind: 'id', values: await memberIds(args, ids) });
  }
  return { params: args.params.filter(([name]) => name.split(':')[0] !== '_list'), conditions };
}

async function memberIds(args: ListArgs, ids: string[]): Promise<string[]> {
  const type = args.resourceTypes[0]!;
  const { query } = parseSearch(['List'], [['_id', ids.join(',')]], {
    handling: 'strict',
    baseUrl: args.baseUrl,
    access: args.access,
    now: args.now,
  });
  const page = await args.store.search({ ...query, count: ids.length, total: 'none' });
  const base = `${args.baseUrl.replace(/\/+$/, '')}/`;
  const members = new Set<string>();
  for (const version of page.entries) {
    for (const entry of (version.resource as List | null)?.entry ?? []) {
      if (entry.deleted) continue;
      let ref = entry.item?.reference;
      if (!ref) continue;
      if (ref.startsWith(base)) ref = ref.slice(base.length);
      const [refType, refId] = ref.split('/');
      if (refType === type && refId) members.add(refId);
    }
  }
  return [...members];
}
