/**
 * The active subscriptions indexed for matching changes (#22 lag): criteria are parsed once (server search semantics,
 * search/parse-search.ts), the changed resource is indexed once (the store's extractIndex), and only the
 * subscriptions that can match are evaluated: by resource type, and — for criteria with a plain token condition such
 * as `code=http://loinc.org|1234-5` — by the token codes the resource actually carries. Evaluating every
 * subscription's criteria per change (parse + extractIndex each time) cost about a millisecond per subscription.
 * Items are added and removed one at a time by key (a subscription id): a Subscription change touches only its own
 * entries (rebuilding the whole index per change made creating 1,000 subscriptions quadratic).
 */
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../indexing/extract-index.js';
import type { ResourceIndex } from '../indexing/index-entry.js';
import { evaluateCondition, type Candidate } from '../search/evaluate-condition.js';
import { parseSearch } from '../search/parse-search.js';
import type { Condition } from '../search/search-query.js';
import type { Criteria } from './subscription-criteria.js';

const PARSED = new WeakMap<Criteria, Condition[]>();
const PARSED_BASE = new WeakMap<Criteria, string>();

type Entry<T> = { item: T; conditions: Condition[] };
type ByType<T> = { anyCode: Set<Entry<T>>; byToken: Map<string, Set<Entry<T>>> };
type Placed<T> = { resourceType: string; entry: Entry<T>; keys?: string[] };

export class CriteriaIndex<T> {
  private readonly types = new Map<string, ByType<T>>();
  /** Where each item sits, by its key (a subscription id): removed and re-added one at a time. */
  private readonly byKey = new Map<string, Placed<T>>();

  constructor(private readonly baseUrl: string) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Some subscription watches this resource type. */
  has(resourceType: string): boolean {
    return this.types.has(resourceType);
  }

  /** Adds (or replaces) the item under `key`; throws when the criteria do not parse (nothing changed then). */
  add(key: string, item: T, criteria: Criteria): void {
    const conditions = this.conditionsOf(criteria);
    this.remove(key);
    let t = this.types.get(criteria.resourceType);
    if (!t) this.types.set(criteria.resourceType, (t = { anyCode: new Set(), byToken: new Map() }));
    const entry = { item, conditions };
    const keys = tokenKeys(conditions);
    if (keys) for (const k of keys) addTo(t.byToken, k, entry);
    else t.anyCode.add(entry);
    this.byKey.set(key, { resourceType: criteria.resourceType, entry, ...(keys ? { keys } : {}) });
  }

  /** Removes the item under `key` (nothing when there is none). */
  remove(key: string): void {
    const placed = this.byKey.get(key);
    if (!placed) return;
    this.byKey.delete(key);
    const t = this.types.get(placed.resourceType);
    if (!t) return;
    if (placed.keys)
      for (const k of placed.keys) {
        const bucket = t.byToken.get(k);
        bucket?.delete(placed.entry);
        if (bucket?.size === 0) t.byToken.delete(k);
      }
    else t.anyCode.delete(placed.entry);
    if (t.anyCode.size === 0 && t.byToken.size === 0) this.types.delete(placed.resourceType);
  }

  /**
   * Parsed once per criteria object (a subscription's parse is kept while it is unchanged), so a full rebuild after
   * a rolled-back batch does not parse every criteria again.
   */
  private conditionsOf(criteria: Criteria): Condition[] {
    let conditions = PARSED.get(criteria);
    if (!conditions || PARSED_BASE.get(criteria) !== this.baseUrl) {
      conditions = parseSearch([criteria.resourceType], criteria.params, {
        handling: 'strict',
        baseUrl: this.baseUrl,
      }).query.conditions;
      PARSED.set(criteria, conditions);
      PARSED_BASE.set(criteria, this.baseUrl);
    }
    return conditions;
  }

  /** Items whose criteria match `resource` (each once). */
  matching(resource: Resource): T[] {
    const t = this.types.get(resource.resourceType);
    if (!t) return [];
    const index = extractIndex(resource);
    const lastUpdated = Date.parse(resource.meta?.lastUpdated ?? '');
    const candidate: Candidate = {
      resourceType: resource.resourceType,
      id: resource.id ?? '',
      lastUpdated: Number.isNaN(lastUpdated) ? 0 : lastUpdated,
      index,
    };
    const seen = new Set<Entry<T>>();
    const out: T[] = [];
    const consider = (e: Entry<T>) => {
      if (seen.has(e)) return;
      seen.add(e);
      if (e.conditions.every((c) => evaluateCondition(c, candidate))) out.push(e.item);
    };
    for (const e of t.anyCode) consider(e);
    if (t.byToken.size > 0) for (const key of tokensOf(index)) for (const e of t.byToken.get(key) ?? []) consider(e);
    return out;
  }
}

/**
 * Keys `param|code` under which a subscription can be found: those of its first positive token condition whose every
 * value names a code (the resource must carry one of them; compared lower-cased, the evaluation decides); undefined when there is none (evaluated for every change).
 */
function tokenKeys(conditions: readonly Condition[]): string[] | undefined {
  for (const c of conditions) {
    if (c.kind !== 'token' || c.negate || c.values.length === 0) continue;
    if (c.values.every((v) => v.match === 'code' && typeof v.code === 'string' && v.code !== ''))
      return c.values.map((v) => `${c.param}|${(v as { code: string }).code.toLowerCase()}`);
  }
  return undefined;
}

function tokensOf(index: ResourceIndex): Set<string> {
  const keys = new Set<string>();
  for (const e of index.entries) if (e.kind === 'token' && e.code) keys.add(`${e.param}|${e.code.toLowerCase()}`);
  return keys;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
