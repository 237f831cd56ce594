/**
 * The store-neutral search query. server/fhir/search parses a FHIR search request into this shape
 * (parameter definitions resolved, prefixes turned into range comparisons, values normalised);
 * each store compiles it (SQL / Mongo filter) without knowing anything about FHIR resource types.
 */

/** One comparison of an index entry's range bound against a constant. */
export type Comparison = { field: 'low' | 'high' | 'value'; op: 'lt' | 'le' | 'gt' | 'ge' | 'eq'; value: number };

/**
 * A disjunction of conjunctions over one index entry: the entry matches when, for some inner list,
 * every comparison holds. Prefix semantics (eq, ne, lt, gt, le, ge, sa, eb, ap) are already applied.
 */
export type RangeMatch = Comparison[][];

export type TokenValue =
  /** `code`, `system|code`, `|code` (system: null = entry without system), `system|` (code undefined). */
  | { match: 'code'; system?: string | null; code?: string }
  /** `:text` – normalised prefix match on the entry's text. */
  | { match: 'text'; text: string }
  /** `:of-type` on identifiers – `typeSystem|typeCode|value`. */
  | { match: 'of-type'; typeSystem: string; typeCode: string; value: string };

export type ReferenceValue =
  | { match: 'literal'; targetType?: string; targetId: string }
  | { match: 'url'; url: string }
  | { match: 'identifier'; system?: string; value: string };

export type Condition =
  /**
   * values are OR-ed. prefix/contains/suffix/equals values are normalised like StringEntry.value; exact is as typed.
   * `suffix` (the normalised value ends with it) comes from `_filter`'s `ew` only; `words` (every value is a whole
   * word of the entry: full-text search, PostgreSQL's to_tsvector('simple')) from `_text` only; `equals` (the whole
   * normalised value is one of the values) from keys the server made itself, stored folded (the phonetic keys and key
   * pairs: name-conditions.ts, matching), never from a client's modifier.
   */
  | {
      kind: 'string';
      param: string;
      match: 'prefix' | 'exact' | 'contains' | 'suffix' | 'words' | 'equals';
      values: string[];
    }
  /** negate (`:not`): the resource has no entry matching any value (resources lacking the param match). */
  | { kind: 'token'; param: string; negate: boolean; values: TokenValue[] }
  | { kind: 'date'; param: string; match: RangeMatch }
  | { kind: 'number'; param: string; match: RangeMatch }
  /** per value: range on value (or canonicalValue when `canonical`), optional system/code. */
  | { kind: 'quantity'; param: string; values: QuantityValue[] }
  | { kind: 'reference'; param: string; values: ReferenceValue[] }
  | { kind: 'uri'; param: string; match: 'eq' | 'above' | 'below'; values: string[] }
  /** `:missing=true|false`; `paramKind` tells the store where the entries of this param live. */
  | { kind: 'missing'; param: string; paramKind: ParamKind; missing: boolean }
  /** `subject:Patient.name=x` – some reference of `param` points at a resource of targetTypes matching all `where`. */
  | { kind: 'chain'; param: string; targetTypes: string[]; where: Condition[] }
  /**
   * `_has:Observation:subject:code=x` – some sourceType resource whose `sourceParam` references this one matches
   * `where`.
   */
  | { kind: 'has'; sourceType: string; sourceParam: string; where: Condition[] }
  /** `_id` (OR of ids); negate (`_id:not`, _id being a token): none of them. */
  | { kind: 'id'; values: string[]; negate?: boolean }
  /** `_lastUpdated`, against the version's lastUpdated instant (ms). */
  | { kind: 'lastUpdated'; match: RangeMatch }
  /** Composite: for one value, a single CompositeEntry tuple must satisfy every part (parts[i] ↔ component i). */
  | { kind: 'composite'; param: string; values: Condition[][] }
  /** Compartment search `Patient/123/Observation`: the resource lists `ref` among its compartments. */
  | { kind: 'compartment'; ref: string }
  /** OR of conditions (used where one parameter value expands to several shapes). */
  | { kind: 'or'; any: Condition[] }
  /** AND of conditions inside one parameter value (`phonetic=mohamed ahmed`: every word must match). */
  | { kind: 'and'; all: Condition[] }
  /** The resource does not satisfy `condition` (`_filter`'s `not (…)` and `ne`). */
  | { kind: 'not'; condition: Condition };

export type QuantityValue = { match: RangeMatch; system?: string; code?: string; canonical?: boolean };

export type ParamKind = 'string' | 'token' | 'date' | 'number' | 'quantity' | 'reference' | 'uri' | 'composite';

/**
 * Sort keys. For a multi-valued parameter, ascending order uses the smallest value of the resource
 * and descending the largest (dates: low ascending, high descending). Resources without a value
 * sort last. `_lastUpdated` and `_id` are given as kind 'lastUpdated' / 'id'.
 */
export type SortKey =
  | {
      kind: ParamKind;
      param: string;
      descending: boolean;
      /** A union parameter (indexing/union-params.ts): the params whose entries give the order (else `param`'s). */
      params?: string[];
    }
  | { kind: 'lastUpdated' | 'id'; descending: boolean };

export type TotalMode = 'none' | 'estimate' | 'accurate';

export type SearchQuery = {
  /** One type for type-level search; several for system search (`_type`), empty = all types. */
  resourceTypes: string[];
  /** AND-ed. */
  conditions: Condition[];
  sort: SortKey[];
  /** Page size (already capped by the server's maximum). 0 means: count only. */
  count: number;
  /** Opaque cursor from a previous page's `nextCursor` (keyset paging); absent for the first page. */
  cursor?: string;
  total: TotalMode;
  /**
   * Time budget of this search in ms: the store cancels its queries beyond it (PostgreSQL server: cancel of the
   * backend; MongoDB: maxTimeMS) and throws QueryTimeoutError. Absent: no budget (internal callers).
   */
  timeoutMs?: number;
  /**
   * Plan hint of internal callers (patient matching): the index in `conditions` of the condition that selects the
   * fewest resources (a birth date rather than a common name's phonetic key). A SQL store may drive the search from it
   * instead of from its planner's estimates, which can be far off for a value that became common since the last
   * statistics. Never changes the result.
   */
  lead?: number;
};

export type SearchPage<T> = {
  entries: T[];
  /** Present when total was asked (estimate may be approximate). */
  total?: number;
  /** Present when there may be more matches after this page. */
  nextCursor?: string;
  /** Present when this page is not the first: a cursor that returns the page before it. */
  previousCursor?: string;
};
