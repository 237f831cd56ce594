/**
 * `_filter` → one Condition for one resource type, compiled to the same store search as plain parameters: each
 * comparison becomes the plain parameter (with modifier or prefix) that means the same, parsed by parseCondition —
 * so chains confined to the caller's compartment, value checks and errors are exactly a search's; and/or/not become
 * the 'and'/'or'/'not' Conditions every store compiles.
 *
 * Operators by parameter kind (anything else is a 400 naming the operator and the kind):
 * - all kinds: `pr true|false` → `:missing=false|true`;
 * - string: eq → `:exact`, co → `:contains`, sw → prefix (the plain string search), ew → ends with (normalised, as
 *   the prefix search compares), ne → not eq;
 * - token (and _id): eq → plain, ne → `:not` (a resource without the parameter matches);
 * - reference, uri, composite: eq → plain, ne → not eq; uri also sw → `:below`;
 * - date, number, quantity (and _lastUpdated): eq ne gt lt ge le sa eb ap → the same search prefix (`ne` keeps the
 *   prefix's range meaning: a resource without the parameter does not match).
 * Paths may chain through references (`subject.name co "ali"`): the operator applies to the last parameter.
 */
import { badRequest } from '../../errors.js';
import { getSearchParameterInfo } from '../../indexing/search-parameter-registry.js';
import { normalizeString } from '../../indexing/normalize.js';
import type { Condition, ParamKind } from '../search-query.js';
import { parseCondition, type ConditionContext } from '../parse-condition.js';
import { UnsupportedSearchError } from '../parse-value.js';
import { parseFilter, FilterSyntaxError, type FilterExpression, type FilterOperator } from './filter-parser.js';

type PathKind = ParamKind | 'id' | 'lastUpdated';
const ORDERED: ReadonlySet<PathKind> = new Set(['date', 'number', 'quantity', 'lastUpdated']);
const PREFIXES: ReadonlySet<FilterOperator> = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export function filterCondition(resourceType: string, filter: string, ctx: ConditionContext): Condition {
  let expression: FilterExpression;
  try {
    expression = parseFilter(filter);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw badRequest(`_filter: ${err.message}`, ['_filter']);
    throw err;
  }
  return compile(resourceType, expression, ctx);
}

function compile(type: string, e: FilterExpression, ctx: ConditionContext): Condition {
  switch (e.kind) {
    case 'and':
      return { kind: 'and', all: [compile(type, e.left, ctx), compile(type, e.right, ctx)] };
    case 'or':
      return { kind: 'or', any: [compile(type, e.left, ctx), compile(type, e.right, ctx)] };
    case 'not':
      return { kind: 'not', condition: compile(type, e.child, ctx) };
    case 'compare':
      return comparison(type, e.path, e.operator, e.value, ctx);
  }
}

function comparison(type: string, path: string, op: FilterOperator, value: string, ctx: ConditionContext): Condition {
  const kind = kindOfPath(type, path, ctx);
  const refuse = () =>
    badRequest(`_filter: the operator '${op}' is not supported on '${path}' (a ${kind} parameter)`, ['_filter']);
  const plain = (suffix: string, v: string) => parse(type, `${path}${suffix}`, v, ctx);
  if (op === 'pr') {
    if (value !== 'true' && value !== 'false')
      throw badRequest(`_filter: '${path} pr' takes true or false, not '${value.slice(0, 40)}'`, ['_filter']);
    // every resource has an id and a lastUpdated
    if (kind === 'id' || kind === 'lastUpdated')
      return value === 'true' ? { kind: 'and', all: [] } : { kind: 'or', any: [] };
    return plain(':missing', value === 'true' ? 'false' : 'true');
  }
  if (ORDERED.has(kind)) {
    if (!PREFIXES.has(op)) throw refuse();
    return plain('', `${op}${escape(value, false)}`);
  }
  switch (kind) {
    case 'string': {
      const v = escape(value, true);
      if (op === 'eq') return plain(':exact', v);
      if (op === 'ne') return { kind: 'not', condition: plain(':exact', v) };
      if (op === 'co') return plain(':contains', v);
      if (op === 'sw') return plain('', v);
      if (op === 'ew') return endsWith(type, path, value, ctx);
      throw refuse();
    }
    case 'token':
    case 'id':
      if (op === 'eq') return plain('', escape(value, false));
      if (op === 'ne') return plain(':not', escape(value, false));
      throw refuse();
    case 'uri':
    case 'reference':
    case 'composite': {
      const v = escape(value, kind === 'uri');
      if (op === 'sw' && kind === 'uri') return plain(':below', v);
      if (op === 'eq') return plain('', v);
      if (op === 'ne') return { kind: 'not', condition: plain('', v) };
      throw refuse();
    }
    default:
      throw refuse();
  }
}

/** `ew`: the normalised value ends with the normalised text (no plain parameter says this: built here). */
function endsWith(type: string, path: string, value: string, ctx: ConditionContext): Condition {
  if (path.includes('.')) {
    // a chain: the plain parser builds the chain around a contains-match, whose inner string match is then narrowed
    const chained = parse(type, `${path}:contains`, escape(value, true), ctx);
    return narrowToSuffix(chained);
  }
  const code = path.split(':')[0]!;
  return { kind: 'string', param: code, match: 'suffix', values: [normalizeString(value)] };
}

function narrowToSuffix(c: Condition): Condition {
  switch (c.kind) {
    case 'string':
      return c.match === 'contains' ? { ...c, match: 'suffix' } : c;
    case 'chain':
      return { ...c, where: c.where.map(narrowToSuffix) };
    case 'or':
      return { ...c, any: c.any.map(narrowToSuffix) };
    case 'and':
      return { ...c, all: c.all.map(narrowToSuffix) };
    default:
      return c;
  }
}

function parse(type: string, name: string, value: string, ctx: ConditionContext): Condition {
  try {
    return parseCondition(type, name, value, ctx);
  } catch (err) {
    if (err instanceof UnsupportedSearchError) throw badRequest(`_filter: ${err.message}`, ['_filter']);
    throw err;
  }
}

/** The kind of the last parameter of `a.b.c` (each earlier one a reference), for choosing the operator's meaning. */
function kindOfPath(type: string, path: string, ctx: ConditionContext): PathKind {
  const codes = path.split('.');
  let types = [type];
  for (const [i, raw] of codes.entries()) {
    const [code, typeModifier] = raw.split(':') as [string, string | undefined];
    if (code === '_id') return 'id';
    if (code === '_lastUpdated') return 'lastUpdated';
    const def = types.map((t) => getSearchParameterInfo(t, code)).find((d) => d !== undefined);
    if (!def) throw badRequest(`_filter: unknown search parameter '${code}' for ${types.join(', ')}`, ['_filter']);
    if (i === codes.length - 1) {
      if (def.kind === 'special') throw badRequest(`_filter: '${code}' cannot be used in a filter`, ['_filter']);
      return def.kind;
    }
    if (def.kind !== 'reference') throw badRequest(`_filter: '${code}' is not a reference: cannot chain`, ['_filter']);
    types = typeModifier ? [typeModifier] : def.targets.length > 0 ? def.targets : ctx.allResourceTypes;
  }
  throw badRequest(`_filter: '${path}' is not a parameter path`, ['_filter']);
}

/** A filter value as a plain search value: commas (and for strings/uris, `|` and `$`) are literal, not separators. */
function escape(value: string, literal: boolean): string {
  return value.replace(literal ? /[\\,|$]/g : /[\\,]/g, (ch) => `\\${ch}`);
}
