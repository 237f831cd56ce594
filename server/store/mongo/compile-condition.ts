/**
 * The search compiler: SearchQuery conditions → one MongoDB filter on a current-resource collection.
 * A pure function (no I/O). Parameters match through `$elemMatch` on idx.<kind> (one element must
 * satisfy the param and the value together); `chain` and `_has` must first be rewritten into plain
 * conditions by resolve-joins.ts, which needs the database.
 */
import type { Condition, QuantityValue, ReferenceValue } from '../../fhir/search/search-query.js';
import { tokenKind } from '../../fhir/search/kinds/token/token-kind.js';
import { UnsupportedQueryError } from '../resource-store.js';
import type { Filter } from './doc-db.js';
import { and, literalRegExp, NO_ELEMENT, or, prefixFields, rangeFilter } from './filter-parts.js';

type EntryCondition = Extract<
  Condition,
  { kind: 'string' | 'token' | 'date' | 'number' | 'quantity' | 'reference' | 'uri' }
>;

/** The filter for current, non-deleted resources matching every condition. */
export function compileSearchFilter(conditions: Condition[]): Filter {
  return and([{ deleted: false }, ...conditions.map(compileCondition)]);
}

export function compileCondition(c: Condition): Filter {
  switch (c.kind) {
    case 'string':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
      return { [`idx.${c.kind}`]: { $elemMatch: entryFilter(c, true) } };
    case 'token': {
      const match = { 'idx.token': { $elemMatch: entryFilter(c, true) } };
      return c.negate ? { $nor: [match] } : match;
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
      return {
        'idx.composite': { $elemMatch: and([{ param: c.param }, or(c.values.map(compositeTuple), NO_ELEMENT)]) },
      };
    case 'or':
      return or(c.any.map(compileCondition));
    case 'and':
      return and(c.all.map(compileCondition));
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
  switch (c.kind) {
    case 'string':
      if (c.match === 'exact')
        return c.values.length === 1
          ? { exact: c.values[0] }
          : or(
              c.values.map((v) => ({ exact: v })),
              NO_ELEMENT,
            );
      return { value: { $in: c.values.map((v) => literalRegExp(v, c.match === 'prefix')) } };
    case 'token':
      return tokenKind.mongo.filter(c);
    case 'date':
      return rangeFilter(c.match, (f) => (f === 'value' ? 'low' : f), NO_ELEMENT);
    case 'number':
      return rangeFilter(c.match, (f) => f, NO_ELEMENT);
    case 'quantity':
      return or(c.values.map(quantityFilter), NO_ELEMENT);
    case 'reference':
      return or(c.values.map(referenceFilter), NO_ELEMENT);
    case 'uri':
      return uriFilter(c.match, c.values);
    default:
      return assertNever(c);
  }
}

/**
 * With `canonical`, the range applies to canonicalValue (all three bounds: the canonical form keeps no
 * precision range) and the code to canonicalCode; otherwise to value/low/high and code. Without a
 * system, the code matches the entry's code or its unit (FHIR quantity search).
 */
function quantityFilter(v: QuantityValue): Filter {
  const range = rangeFilter(v.match, (f) => (v.canonical ? 'canonicalValue' : f), NO_ELEMENT);
  const system = v.system !== undefined ? { system: v.system } : {};
  let code: Filter = {};
  if (v.code !== undefined) {
    if (v.canonical) code = { canonicalCode: v.code };
    else if (v.system !== undefined) code = { code: v.code };
    else code = { $or: [{ code: v.code }, { unit: v.code }] };
  }
  return and([range, system, code]);
}

function referenceFilter(v: ReferenceValue): Filter {
  switch (v.match) {
    case 'literal':
      return { targetId: v.targetId, ...(v.targetType !== undefined ? { targetType: v.targetType } : {}) };
    case 'url':
      return { url: v.url };
    case 'identifier':
      return { identifierValue: v.value, ...(v.system !== undefined ? { identifierSystem: v.system } : {}) };
    default:
      return assertNever(v);
  }
}

function uriFilter(match: 'eq' | 'above' | 'below', values: string[]): Filter {
  switch (match) {
    case 'eq':
      return { value: values.length === 1 ? values[0] : { $in: values } };
    case 'below':
      return { value: { $in: values.map((v) => literalRegExp(v, true)) } };
    case 'above':
      return { value: { $in: [...new Set(values.flatMap(uriAncestors))] } };
    default:
      return assertNever(match);
  }
}

/** `http://a.org/fhir/ValueSet/x` → itself, `http://a.org/fhir/ValueSet`, `http://a.org/fhir`, `http://a.org`. */
export function uriAncestors(uri: string): string[] {
  const authorityEnd = uri.indexOf('://') >= 0 ? uri.indexOf('/', uri.indexOf('://') + 3) : -1;
  const out = [uri];
  for (
    let cut = uri.lastIndexOf('/');
    cut > 0 && cut >= authorityEnd && authorityEnd >= 0;
    cut = uri.lastIndexOf('/', cut - 1)
  ) {
    const prefix = uri.slice(0, cut);
    if (prefix.length > 0 && !out.includes(prefix)) out.push(prefix);
  }
  return out;
}

/** One composite value: a single tuple whose i-th part satisfies the i-th condition. */
function compositeTuple(parts: Condition[]): Filter {
  return and(
    parts.map((part, i) => {
      if (!isEntryCondition(part))
        throw new UnsupportedQueryError(`a composite component cannot be a ${part.kind} condition`);
      return prefixFields(and([{ kind: part.kind }, valueFilter(part)]), `parts.${i}.`);
    }),
  );
}

function isEntryCondition(c: Condition): c is EntryCondition {
  return ['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri'].includes(c.kind);
}

function assertNever(value: never): never {
  throw new UnsupportedQueryError(`unsupported search condition ${JSON.stringify(value)}`);
}
