/**
 * Evaluates a Condition against one resource's index entries in memory, with the same semantics the
 * stores compile to SQL / Mongo filters. Used by matchesSearch (SMART constraints on a single resource)
 * and by the in-memory store of the search test suite.
 */
import type { IndexEntry, ResourceIndex } from '../indexing/index-entry.js';
import type { Comparison, Condition, QuantityValue, RangeMatch, ReferenceValue } from './search-query.js';
import { tokenKind } from './kinds/token/token-kind.js';

export type Candidate = { resourceType: string; id: string; lastUpdated: number; index: ResourceIndex };

/** Lookups that chains and `_has` need; without them those conditions cannot be evaluated. */
export type CandidateResolver = {
  read(resourceType: string, id: string): Candidate | undefined;
  all(resourceType: string): Iterable<Candidate>;
};

export class NeedsResolverError extends Error {}

export function evaluateCondition(condition: Condition, candidate: Candidate, resolver?: CandidateResolver): boolean {
  return evaluateOn(condition, candidate.index.entries, candidate, resolver);
}

function evaluateOn(
  condition: Condition,
  entries: IndexEntry[],
  candidate: Candidate,
  resolver?: CandidateResolver,
): boolean {
  const of = <K extends IndexEntry['kind']>(kind: K, param: string) =>
    entries.filter((e): e is Extract<IndexEntry, { kind: K }> => e.kind === kind && e.param === param);
  switch (condition.kind) {
    case 'string':
      return of('string', condition.param).some((e) =>
        condition.values.some((v) =>
          condition.match === 'exact'
            ? e.exact === v
            : condition.match === 'contains'
              ? e.value.includes(v)
              : e.value.startsWith(v),
        ),
      );
    case 'token': {
      const hit = of('token', condition.param).some((e) => tokenKind.entryMatches(condition, e));
      return tokenKind.negated(condition) ? !hit : hit;
    }
    case 'date':
      return of('date', condition.param).some((e) => rangeHolds(condition.match, e));
    case 'number':
      return of('number', condition.param).some((e) => rangeHolds(condition.match, e));
    case 'quantity':
      return of('quantity', condition.param).some((e) => condition.values.some((v) => quantityMatches(e, v)));
    case 'reference':
      return of('reference', condition.param).some((e) => condition.values.some((v) => referenceMatches(e, v)));
    case 'uri':
      return of('uri', condition.param).some((e) =>
        condition.values.some((v) =>
          condition.match === 'eq'
            ? e.value === v
            : condition.match === 'above'
              ? v.startsWith(e.value)
              : e.value.startsWith(v),
        ),
      );
    case 'missing': {
      const has = entries.some((e) => e.param === condition.param && e.kind === condition.paramKind);
      return condition.missing ? !has : has;
    }
    case 'composite':
      return of('composite', condition.param).some((e) =>
        condition.values.some((parts) =>
          parts.every((part, i) => e.parts[i] !== undefined && evaluateOn(part, [e.parts[i]], candidate, resolver)),
        ),
      );
    case 'id':
      return condition.values.includes(candidate.id) !== (condition.negate === true);
    case 'lastUpdated':
      return rangeHolds(condition.match, {
        value: candidate.lastUpdated,
        low: candidate.lastUpdated,
        high: candidate.lastUpdated,
      });
    case 'compartment':
      return candidate.index.compartments.includes(condition.ref);
    case 'or':
      return condition.any.some((c) => evaluateOn(c, entries, candidate, resolver));
    case 'and':
      return condition.all.every((c) => evaluateOn(c, entries, candidate, resolver));
    case 'chain': {
      if (!resolver) throw new NeedsResolverError('chained parameters cannot be evaluated on a single resource');
      return of('reference', condition.param).some((e) => {
        if (!e.targetType || !e.targetId || !condition.targetTypes.includes(e.targetType)) return false;
        const target = resolver.read(e.targetType, e.targetId);
        return !!target && condition.where.every((w) => evaluateCondition(w, target, resolver));
      });
    }
    case 'has': {
      if (!resolver) throw new NeedsResolverError('_has cannot be evaluated on a single resource');
      for (const source of resolver.all(condition.sourceType)) {
        const points = source.index.entries.some(
          (e) =>
            e.kind === 'reference' &&
            e.param === condition.sourceParam &&
            e.targetType === candidate.resourceType &&
            e.targetId === candidate.id,
        );
        if (points && condition.where.every((w) => evaluateCondition(w, source, resolver))) return true;
      }
      return false;
    }
  }
}

function quantityMatches(e: Extract<IndexEntry, { kind: 'quantity' }>, v: QuantityValue): boolean {
  const value = v.canonical ? e.canonicalValue : e.value;
  if (value === undefined || !rangeHolds(v.match, { value, low: e.low, high: e.high })) return false;
  if (v.system !== undefined && e.system !== v.system) return false;
  if (v.code !== undefined) {
    const code = v.canonical ? e.canonicalCode : e.code;
    return v.system !== undefined ? code === v.code : code === v.code || e.unit === v.code;
  }
  return true;
}

function referenceMatches(e: Extract<IndexEntry, { kind: 'reference' }>, v: ReferenceValue): boolean {
  switch (v.match) {
    case 'literal':
      return e.targetId === v.targetId && (v.targetType === undefined || e.targetType === v.targetType);
    case 'url':
      return e.url === v.url;
    case 'identifier':
      return e.identifierValue === v.value && (v.system === undefined || e.identifierSystem === v.system);
  }
}

export function rangeHolds(match: RangeMatch, target: { value?: number; low: number; high: number }): boolean {
  return match.some((all) => all.every((c) => compare(c, target)));
}

function compare(c: Comparison, target: { value?: number; low: number; high: number }): boolean {
  const actual = c.field === 'value' ? target.value : target[c.field];
  if (actual === undefined) return false;
  switch (c.op) {
    case 'lt':
      return actual < c.value;
    case 'le':
      return actual <= c.value;
    case 'gt':
      return actual > c.value;
    case 'ge':
      return actual >= c.value;
    case 'eq':
      return actual === c.value;
  }
}
