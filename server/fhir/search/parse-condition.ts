/**
 * A search parameter name (`code[:modifier]`, chained `subject:Patient.name:exact`, reverse-chained
 * `_has:Observation:patient:code`) plus its value → a Condition, in the context of one resource type.
 * Chains and `_has` recurse into this same function for the inner parameter.
 */
import { badRequest, forbidden } from '../errors.js';
import { getSearchParameterInfo, type SearchParameterInfo } from '../indexing/search-parameter-registry.js';
import type { AccessPolicy } from '../access-policy.js';
import type { Condition } from './search-query.js';
import { MAX_CHAIN_DEPTH } from './search-constants.js';
import { compartmentParams } from '../indexing/compartment-definitions.js';
import { referencedFromCompartment } from '../access/compartment-references.js';
import { instantMatch } from './kinds/date/parse-date.js';
import { parseParamValue, UnsupportedSearchError, type ValueContext } from './parse-value.js';
import { splitOr, unescapeValue } from './split-values.js';
import { overUnionMembers } from './union-condition.js';

export type ConditionContext = ValueContext & {
  /** Confines inner queries (chain targets, `_has` sources) to the caller's compartment and checks their types. */
  access?: AccessPolicy;
  /** Every resource type, for chains on references without declared targets. */
  allResourceTypes: string[];
};

/** Raised for a parameter name this type does not have (strict → 400, lenient → ignored). */
export class UnknownParameterError extends UnsupportedSearchError {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownParameterError';
  }
}

/**
 * The compartment condition for resources of `type`. A compartment resource is listed in its own
 * compartment by extractIndex, so `Patient/123` itself is found too. For a type outside every Patient compartment
 * (Practitioner, Organization, Location, Medication …) a patient-context caller also finds those its patient's
 * record refers to, exactly what a read allows (access/read-access.ts, US Core / ONC (g)(10); issue 15 item 11).
 * Binary is left out: its read is governed by its securityContext, which no search condition expresses.
 */
export function compartmentCondition(type: string, ref: string): Condition {
  const own: Condition = { kind: 'compartment', ref };
  if (!ref.startsWith('Patient/') || type === 'Patient' || type === 'Binary') return own;
  if (compartmentParams('Patient', type).length > 0) return own;
  return { kind: 'or', any: [own, referencedFromCompartment(type, ref)] };
}

export function parseCondition(
  resourceType: string,
  name: string,
  value: string,
  ctx: ConditionContext,
  depth = 0,
): Condition {
  if (depth > MAX_CHAIN_DEPTH) throw badRequest(`'${name}' nests chains or _has deeper than ${MAX_CHAIN_DEPTH} levels`);
  if (name.startsWith('_has:')) return parseHas(resourceType, name, value, ctx, depth);
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(resourceType, name.slice(0, dot), name.slice(dot + 1), value, ctx, depth);
  const [code, modifier, ...extra] = name.split(':');
  if (!code || extra.length > 0) throw badRequest(`'${name}' is not a search parameter name`);
  if (code === '_id') return parseId(modifier, value, name);
  if (code === '_lastUpdated') {
    if (modifier) throw new UnsupportedSearchError(`Modifier :${modifier} is not supported on _lastUpdated`);
    return { kind: 'lastUpdated', match: splitOr(value).flatMap((v) => instantMatch(v, ctx, name)) };
  }
  const def = lookup(resourceType, code);
  return overUnionMembers(resourceType, code, parseParamValue(def, modifier, value, ctx, `${resourceType}?${name}`));
}

function lookup(resourceType: string, code: string): SearchParameterInfo {
  const def = getSearchParameterInfo(resourceType, code);
  if (!def) throw new UnknownParameterError(`Unknown search parameter '${code}' for ${resourceType}`);
  return def;
}

function parseId(modifier: string | undefined, value: string, name: string): Condition {
  if (modifier === 'missing')
    throw new UnsupportedSearchError('_id:missing is not supported (every resource has an id)');
  // _id is a token parameter: :not is its one meaningful modifier (:exact is accepted as the plain match)
  if (modifier && modifier !== 'not' && modifier !== 'exact')
    throw badRequest(`Modifier :${modifier} is not supported on _id (a token: only :not)`);
  const ids = splitOr(value).map(unescapeValue);
  for (const id of ids) {
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`${name}: '${id}' is not a valid resource id`);
  }
  return modifier === 'not' ? { kind: 'id', values: ids, negate: true } : { kind: 'id', values: ids };
}

function parseChain(
  resourceType: string,
  head: string,
  rest: string,
  value: string,
  ctx: ConditionContext,
  depth: number,
): Condition {
  const [code, typeModifier, ...extra] = head.split(':');
  if (!code || extra.length > 0) throw badRequest(`'${head}' is not a reference parameter name`);
  const def = lookup(resourceType, code);
  if (def.kind !== 'reference')
    throw badRequest(`Cannot chain on '${code}': it is a ${def.kind} parameter, not a reference`);
  let candidates: string[];
  if (typeModifier) {
    if (!ctx.isResourceType(typeModifier)) throw badRequest(`'${typeModifier}' in '${head}' is not a resource type`);
    if (def.targets.length > 0 && !def.targets.includes(typeModifier)) {
      throw badRequest(`'${code}' of ${resourceType} cannot refer to ${typeModifier}`);
    }
    candidates = [typeModifier];
  } else {
    candidates = def.targets.length > 0 ? def.targets : ctx.allResourceTypes;
  }
  const innerCode = rest.split(/[.:]/)[0]!;
  const isSpecial = innerCode === '_id' || innerCode === '_lastUpdated' || innerCode === '_has';
  const withParam = candidates.filter((t) => isSpecial || getSearchParameterInfo(t, innerCode) !== undefined);
  if (withParam.length === 0) {
    throw new UnknownParameterError(
      `None of the target types of '${code}' (${candidates.join(', ')}) has a search parameter '${innerCode}'`,
    );
  }
  const allowed = ctx.access ? withParam.filter((t) => ctx.access!.allows('search', t)) : withParam;
  if (allowed.length === 0) throw forbidden(`Chained search into ${withParam.join(', ')} is not permitted`);
  // group target types whose inner condition is identical, so one chain condition serves them all
  const groups = new Map<string, { types: string[]; where: Condition[] }>();
  for (const target of allowed) {
    const where = innerWhere(target, rest, value, ctx, depth);
    const key = JSON.stringify(where);
    const group = groups.get(key);
    if (group) group.types.push(target);
    else groups.set(key, { types: [target], where });
  }
  const chains: Condition[] = [...groups.values()].map((g) => ({
    kind: 'chain',
    param: code,
    targetTypes: g.types,
    where: g.where,
  }));
  return chains.length === 1 ? chains[0]! : { kind: 'or', any: chains };
}

function parseHas(resourceType: string, name: string, value: string, ctx: ConditionContext, depth: number): Condition {
  const [, sourceType, sourceParam, ...restParts] = name.split(':');
  const rest = restParts.join(':');
  if (!sourceType || !sourceParam || !rest) throw badRequest(`'${name}' must be _has:Type:referenceParam:param`);
  if (!ctx.isResourceType(sourceType)) throw badRequest(`'${sourceType}' in '${name}' is not a resource type`);
  const def = lookup(sourceType, sourceParam);
  if (def.kind !== 'reference') throw badRequest(`'${sourceParam}' of ${sourceType} is not a reference parameter`);
  if (def.targets.length > 0 && !def.targets.includes(resourceType)) {
    throw badRequest(`'${sourceParam}' of ${sourceType} cannot refer to ${resourceType}`);
  }
  if (ctx.access && !ctx.access.allows('search', sourceType))
    throw forbidden(`_has over ${sourceType} is not permitted`);
  return { kind: 'has', sourceType, sourceParam, where: innerWhere(sourceType, rest, value, ctx, depth) };
}

/** The inner conditions of a chain or `_has`, confined to the caller's compartment and SMART constraints. */
function innerWhere(type: string, name: string, value: string, ctx: ConditionContext, depth: number): Condition[] {
  const where = [parseCondition(type, name, value, ctx, depth + 1)];
  if (ctx.access?.compartment) where.push(compartmentCondition(type, ctx.access.compartment));
  where.push(...constraintConditions(type, ctx));
  return where;
}

/**
 * SMART v2 constraints of `type` (`[{category: 'laboratory'}, {category: 'vital-signs'}]`): the resource
 * must match one of them. OR of ANDs is rewritten as an AND of ORs (exact, by distribution).
 */
export function constraintConditions(type: string, ctx: ConditionContext): Condition[] {
  const constraints = ctx.access?.constraints(type);
  if (!constraints) return [];
  if (constraints.length === 0) throw forbidden(`No access to ${type} resources is granted`);
  const conjunctions = constraints.map((record) =>
    Object.entries(record).map(([name, value]) => parseCondition(type, name, value, { ...ctx, access: undefined })),
  );
  let clauses: Condition[][] = [[]];
  for (const conjunction of conjunctions) {
    if (conjunction.length === 0) return []; // an empty constraint grants everything
    clauses = clauses.flatMap((clause) => conjunction.map((c) => [...clause, c]));
  }
  return clauses.map((clause) => (clause.length === 1 ? clause[0]! : { kind: 'or', any: clause }));
}
