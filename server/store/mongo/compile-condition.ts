/**
 * The search compiler: SearchQuery conditions → one MongoDB filter on a current-resource collection.
 * A pure function (no I/O). Parameters match through `$elemMatch` on idx.<kind> (one element must
 * satisfy the param and the value together); `chain` and `_has` must first be rewritten into plain
 * conditions by resolve-joins.ts, which needs the database.
 */
import { kindOf } from '../../fhir/search/kinds/registry.js';
import type { ConditionOf, PlainKind } from '../../fhir/search/kinds/search-param-kind.js';
import type { Condition } from '../../fhir/search/search-query.js';
import { compositeKind } from '../../fhir/search/kinds/composite/composite-kind.js';
import { UnsupportedQueryError } from '../resource-store.js';
import type { Filter } from './doc-db.js';
import { and, or, rangeFilter } from './filter-parts.js';

type EntryCondition = ConditionOf<PlainKind>;

/** The filter for current, non-deleted resources matching every condition. */
export function compileSearchFilter(conditions: Condition[]): Filter {
  return and([{ deleted: false }, ...conditions.map(compileCondition)]);
}

export function compileCondition(c: Condition): Filter {
  switch (c.kind) {
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri': {
      const match = { [`idx.${c.kind}`]: { $elemMatch: entryFilter(c, true) } };
      return kindOf(c.kind).negated(c) ? { $nor: [match] } : match;
    }
    case 'missing':
      return { [`idx.${c.paramKind}.param`]: c.missing ? { $ne: c.param } : c.param };
    case 'id':
      if (c.negate) return { _id: { $nin: [...new Set(c.values)] } };
      return c.values.length === 1 ? { _id: c.values[0] } : { _id: { $in: [...new Set(c.values)] } };
    case 'lastUpdated':
      return rangeFilter(c.match, () => 'lu');
    case 'compartment':
      return { compartments: c.ref };
    case 'composite':
      return compositeKind.mongo.filter(c);
    case 'or':
      return or(c.any.map(compileCondition));
    case 'and':
      return and(c.all.map(compileCondition));
    case 'not':
      return { $nor: [compileCondition(c.condition)] };
    case 'chain':
    case 'has':
      throw new UnsupportedQueryError(
        `internal: a ${c.kind} condition must be resolved (resolve-joins) before it is compiled`,
      );
    default:
      return assertNever(c);
  }
}

/** The filter one index element must satisfy (inside $elemMatch); `withParam` adds the param test. */
function entryFilter(c: EntryCondition, withParam: boolean): Filter {
  const param = withParam ? [{ param: c.param }] : [];
  return and([...param, valueFilter(c)]);
}

function valueFilter(c: EntryCondition): Filter {
  return kindOf(c.kind).mongo.filter(c);
}

function assertNever(value: never): never {
  throw new UnsupportedQueryError(`unsupported search condition ${JSON.stringify(value)}`);
}
