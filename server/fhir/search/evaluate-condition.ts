/**
 * Evaluates a Condition against one resource's index entries in memory, with the same semantics the
 * stores compile to SQL / Mongo filters. Used by matchesSearch (SMART constraints on a single resource)
 * and by the in-memory store of the search test suite.
 */
import type { IndexEntry, ResourceIndex } from '../indexing/index-entry.js';
import { rangeHolds } from './range-holds.js';
import type { Condition } from './search-query.js';
import { kindOf } from './kinds/registry.js';
import { compositeKind } from './kinds/composite/composite-kind.js';
import type { ConditionOf, PlainKind } from './kinds/search-param-kind.js';

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
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
      return entryConditionHolds(condition, entries);
    case 'missing': {
      const has = entries.some((e) => e.param === condition.param && e.kind === condition.paramKind);
      return condition.missing ? !has : has;
    }
    case 'composite':
      return of('composite', condition.param).some((e) =>
        compositeKind.entryMatches(condition, e, (part, entry) => evaluateOn(part, [entry], candidate, resolver)),
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
    case 'not':
      return !evaluateOn(condition.condition, entries, candidate, resolver);
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

/** A plain parameter's condition: some entry of its param matches (none, for a negated one like token `:not`). */
function entryConditionHolds(condition: ConditionOf<PlainKind>, entries: IndexEntry[]): boolean {
  const search = kindOf(condition.kind);
  const hit = entries.some(
    (e): boolean => e.kind === condition.kind && e.param === condition.param && search.entryMatches(condition, e),
  );
  return search.negated(condition) ? !hit : hit;
}
