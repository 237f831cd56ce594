/**
 * A FHIR search request (decoded query or form pairs, in order) → a store-neutral SearchQuery plus the
 * result parameters (includes, summary, elements) and the parameters that were ignored. Used by the
 * search interaction, by conditional create/update/delete (`Patient?identifier=sys|val`) and for SMART
 * constraints.
 */
import { badRequest, fhirError, forbidden } from '../errors.js';
import { isResourceType, loadDefinitions } from '../definitions.js';
import { COMPARTMENT_TYPES, compartmentParams } from '../indexing/compartment-definitions.js';
import type { AccessPolicy } from '../access-policy.js';
import type { Condition, SearchQuery } from './search-query.js';
import { CURSOR_PARAM, DEFAULT_COUNT, MAX_INCLUDE_SPECS, MAX_SEARCH_PARAMS } from './search-constants.js';
import { UnsupportedSearchError } from './parse-value.js';
import { UnknownParameterError } from './parse-condition.js';
import { filterCondition } from './filter/compile-filter.js';
import { textWords } from './kinds/string/string-kind.js';
import { normalizeString } from '../indexing/normalize.js';
import { splitOr, unescapeValue } from './split-values.js';
import { checkContainedParam } from './contained-params.js';
import { CONTENT_PARAM } from './kinds/string/extract-content.js';
import { isControlParam, type ControlParamName } from './control-params.js';
import {
  compartmentCondition,
  constraintConditions,
  parseCondition,
  type ConditionContext,
} from './parse-condition.js';
import {
  parseCount,
  parseElements,
  parseInclude,
  parseSort,
  parseSummary,
  parseTotal,
  type IncludeSpec,
  type SummaryMode,
} from './parse-result-params.js';

export type SearchHandling = 'strict' | 'lenient';

export type ParseSearchOptions = {
  handling?: SearchHandling;
  /** Absolute base URL of this server; references to it are read as local. */
  baseUrl?: string;
  /** Compartment search `Patient/123/Observation`. */
  compartment?: { resourceType: string; id: string };
  /** When given: types are checked with allows('search'), the caller's compartment and constraints are ANDed in. */
  access?: AccessPolicy;
  /** Epoch ms for `ap` on dates (defaults to Date.now()). */
  now?: number;
};

export type IgnoredParam = { name: string; reason: string };

export type ParsedSearch = {
  query: SearchQuery;
  includes: IncludeSpec[];
  revincludes: IncludeSpec[];
  summary?: SummaryMode;
  elements?: string[];
  /** Parameters left out under lenient handling, with the reason. */
  ignored: IgnoredParam[];
  /** True when `_total` was given explicitly. */
  totalRequested: boolean;
};

/** Accepted and handled elsewhere (HTTP layer). */
const RESOURCE_LEVEL = new Set(['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']);
const UNSUPPORTED = new Map([
  ['_query', 'named queries are not supported'],
  ['_score', 'relevance scores are not supported'],
  ['_graph', '_graph is not supported'],
]);

export function parseSearch(
  resourceTypes: string[],
  params: Array<[string, string]>,
  options: ParseSearchOptions = {},
): ParsedSearch {
  const handling = options.handling ?? 'strict';
  const definitions = loadDefinitions();
  const types = resolveTypes(resourceTypes, params);
  const ctx: ConditionContext = {
    baseUrl: options.baseUrl ?? '',
    now: options.now ?? Date.now(),
    isResourceType,
    access: options.access,
    allResourceTypes: definitions.resourceTypes,
  };
  const parsed: ParsedSearch = {
    query: { resourceTypes: types, conditions: [], sort: [], count: DEFAULT_COUNT, total: 'none' },
    includes: [],
    revincludes: [],
    ignored: [],
    totalRequested: false,
  };

  assertSearchBounds(params);
  for (const [name, value] of params) {
    try {
      applyParam(parsed, types, name, value, ctx);
    } catch (err) {
      if (!(err instanceof UnsupportedSearchError)) throw err;
      if (handling === 'strict') throw badRequest(err.message, [name]);
      parsed.ignored.push({ name, reason: err.message });
    }
  }

  if (parsed.summary === 'count') parsed.query.count = 0;
  if (parsed.query.count === 0 && parsed.query.total === 'none') parsed.query.total = 'accurate';
  addAccessConditions(parsed, types, options, ctx);
  return parsed;
}

/**
 * The work one search may ask for is bounded before any of it is done (issue 15 item 5): the number of
 * parameters and of _include/_revinclude specs; NUL characters, which no FHIR value holds and PostgreSQL text
 * refuses, are a 400 rather than a store error. (Chain depth: MAX_CHAIN_DEPTH in parse-condition.ts; _count is
 * capped at the server maximum; the time budget cancels the store queries: search-interaction.ts.)
 */
export function assertSearchBounds(params: ReadonlyArray<readonly [string, string]>): void {
  if (params.length > MAX_SEARCH_PARAMS)
    throw fhirError(
      400,
      'too-costly',
      `The search has ${params.length} parameters; this server accepts at most ${MAX_SEARCH_PARAMS}`,
    );
  let includes = 0;
  for (const [name, value] of params) {
    if (name.includes('\u0000') || value.includes('\u0000'))
      // eslint-disable-next-line no-control-regex -- NUL is what is being removed from the echoed name
      throw badRequest(`Search parameter '${name.replace(/\u0000/g, '').slice(0, 60)}' contains a NUL character`);
    const base = name.split(':')[0];
    if (base === '_include' || base === '_revinclude') includes++;
  }
  if (includes > MAX_INCLUDE_SPECS)
    throw fhirError(
      400,
      'too-costly',
      `The search has ${includes} _include/_revinclude parameters; this server accepts at most ${MAX_INCLUDE_SPECS}`,
    );
}

function resolveTypes(resourceTypes: string[], params: Array<[string, string]>): string[] {
  for (const t of resourceTypes) if (!isResourceType(t)) throw badRequest(`'${t}' is not a resource type`);
  const typeParams = params.filter(([n]) => n === '_type');
  if (typeParams.length === 0) return [...resourceTypes];
  if (resourceTypes.length > 0) throw badRequest('_type is only allowed in a search across all types ([base]?_type=…)');
  const wanted = new Set<string>();
  for (const [, value] of typeParams) {
    for (const t of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!isResourceType(t)) throw badRequest(`_type: '${t}' is not a resource type`);
      wanted.add(t);
    }
  }
  return [...wanted];
}

type ControlHandler = (
  parsed: ParsedSearch,
  types: string[],
  name: string,
  value: string,
  ctx: ConditionContext,
) => void;

/** What each control parameter does: the names are CONTROL_PARAMS (the CapabilityStatement lists the same). */
const CONTROL: Record<ControlParamName, ControlHandler> = {
  _type: () => undefined, // resolveTypes
  _count: (parsed, _t, _n, value) => {
    parsed.query.count = parseCount(value);
  },
  _sort: (parsed, types, _n, value) => {
    parsed.query.sort.push(...parseSort(value, types));
  },
  _total: (parsed, _t, _n, value) => {
    parsed.query.total = parseTotal(value);
    parsed.totalRequested = true;
  },
  _summary: (parsed, _t, _n, value) => {
    parsed.summary = parseSummary(value);
  },
  _elements: (parsed, _t, _n, value) => {
    parsed.elements = [...(parsed.elements ?? []), ...parseElements(value)];
  },
  _include: (parsed, _t, name, value) => {
    parsed.includes.push(parseInclude(name, value, isResourceType));
  },
  _revinclude: (parsed, _t, name, value) => {
    parsed.revincludes.push(parseInclude(name, value, isResourceType));
  },
  [CURSOR_PARAM]: (parsed, _t, _n, value) => {
    parsed.query.cursor = value;
  },
  _format: () => undefined, // HTTP layer
  _pretty: () => undefined, // HTTP layer
  _text: (parsed, _t, name, value) => {
    parsed.query.conditions.push(textCondition(name, value));
  },
  [CONTENT_PARAM]: (parsed, _t, name, value) => {
    parsed.query.conditions.push(contentCondition(name, value));
  },
  _contained: (_p, _t, name, value) => checkContainedParam(name, value),
  _containedType: (_p, _t, name, value) => checkContainedParam(name, value),
  _filter: (parsed, types, name, value, ctx) => {
    if (name !== '_filter') throw badRequest(`${name}: _filter takes no modifier`, [name]);
    if (types.length !== 1) throw badRequest('_filter is supported in a search of one resource type', [name]);
    parsed.query.conditions.push(filterCondition(types[0]!, value, ctx));
  },
  _has: (parsed, types, name, value, ctx) => {
    parsed.query.conditions.push(conditionForTypes(types, name, value, ctx));
  },
  // resolved into id conditions before parsing by store-search.ts (resolveListParams); other callers ($lastn) do not
  _list: (_p, _t, name) => {
    throw new UnsupportedSearchError(`${name} is not supported here`);
  },
};

function applyParam(parsed: ParsedSearch, types: string[], name: string, value: string, ctx: ConditionContext): void {
  const base = name.split(':')[0]!;
  if (isControlParam(base)) {
    CONTROL[base](parsed, types, name, value, ctx);
    return;
  }
  const unsupported = UNSUPPORTED.get(base);
  if (unsupported) throw new UnsupportedSearchError(`${name}: ${unsupported}`);
  parsed.query.conditions.push(conditionForTypes(types, name, value, ctx));
}

/** One condition valid for every searched type (system search: the parameter must mean the same on each). */
function conditionForTypes(types: string[], name: string, value: string, ctx: ConditionContext): Condition {
  if (types.length === 0) {
    // all types: only the parameters every resource has
    const code = name.split(/[:.]/)[0]!;
    if (!RESOURCE_LEVEL.has(code) || name.includes('.')) {
      throw new UnknownParameterError(
        `'${name}' cannot be used in a search across all types (only ${[...RESOURCE_LEVEL].join(', ')})`,
      );
    }
    return parseCondition('Basic', name, value, ctx);
  }
  const conditions = types.map((t) => parseCondition(t, name, value, ctx));
  const first = JSON.stringify(conditions[0]);
  if (conditions.some((c) => JSON.stringify(c) !== first)) {
    throw new UnsupportedSearchError(
      `'${name}' means different things on ${types.join(', ')}: search each type on its own`,
    );
  }
  return conditions[0]!;
}

function addAccessConditions(
  parsed: ParsedSearch,
  types: string[],
  options: ParseSearchOptions,
  ctx: ConditionContext,
): void {
  const conditions = parsed.query.conditions;
  if (options.compartment) {
    const { resourceType, id } = options.compartment;
    const compartment = COMPARTMENT_TYPES.find((c) => c === resourceType);
    if (!compartment) throw badRequest(`'${resourceType}' is not a compartment (${COMPARTMENT_TYPES.join(', ')})`);
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`'${id}' is not a valid resource id`);
    for (const t of types) {
      if (t !== compartment && compartmentParams(compartment, t).length === 0)
        throw badRequest(`${t} resources are not part of the ${compartment} compartment`);
    }
    conditions.push({ kind: 'compartment', ref: `${resourceType}/${id}` });
  }
  const access = options.access;
  if (!access) return;
  for (const t of types) if (!access.allows('search', t)) throw forbidden(`Searching ${t} is not permitted`);
  let searched = types;
  if (types.length === 0) {
    searched = ctx.allResourceTypes.filter((t) => access.allows('search', t));
    if (searched.length === 0) throw forbidden('Searching is not permitted');
    if (searched.length < ctx.allResourceTypes.length) parsed.query.resourceTypes = searched;
  }
  if (access.compartment) {
    conditions.push(
      types.length === 1
        ? compartmentCondition(types[0]!, access.compartment)
        : { kind: 'compartment', ref: access.compartment },
    );
  }
  const constrained = searched.filter((t) => access.constraints(t) !== undefined);
  if (constrained.length > 0 && types.length !== 1) {
    throw forbidden(
      `Your access to ${constrained.join(', ')} is limited to some categories: search that type on its own`,
    );
  }
  if (types.length === 1) conditions.push(...constraintConditions(types[0]!, ctx));
}

/**
 * `_text=words` (comma values OR): every word must be a word of the narrative (full-text search; no stemming, case
 * and accents folded as string search folds them). Only resource types with a narrative have the entries.
 */
function textCondition(name: string, value: string): Condition {
  const alternatives = searchWords('_text', name, value);
  const conditions: Condition[] = alternatives.map((words) => ({
    kind: 'string',
    param: '_text',
    match: 'words',
    values: [...new Set(words)],
  }));
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', any: conditions };
}

/**
 * `_content=words` (comma values OR): every word must be a word of the resource's text (extract-content.ts). The
 * words are kept in several chunk rows, so each word is a condition of its own (any chunk may hold it).
 */
function contentCondition(name: string, value: string): Condition {
  const conditions: Condition[] = searchWords(CONTENT_PARAM, name, value).map((words) => {
    const each: Condition[] = [...new Set(words)].map((w) => ({
      kind: 'string',
      param: CONTENT_PARAM,
      match: 'words',
      values: [w],
    }));
    return each.length === 1 ? each[0]! : { kind: 'and', all: each };
  });
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', any: conditions };
}

/** The words of each comma-separated value of a full-text parameter (no modifier; each value needs a word). */
function searchWords(code: string, name: string, value: string): string[][] {
  if (name !== code) throw badRequest(`${name}: ${code} takes no modifier`, [name]);
  const alternatives = splitOr(value).map((v) => textWords(normalizeString(unescapeValue(v))));
  if (alternatives.some((words) => words.length === 0))
    throw badRequest(`${code} needs at least one word (letters or digits)`, [name]);
  return alternatives;
}
