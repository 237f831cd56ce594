/**
 * One object per search-parameter kind (string, token, date, number, quantity, reference, uri; composite, a tuple of
 * these, is composite/composite-kind.ts): everything that differs by kind lives in that kind's folder under kinds/,
 * and the rest of the code dispatches through the registry (registry.ts) instead of its own switch over kinds.
 * Blaze's one namespace per search-parameter type is the model.
 *
 * Layers a kind spans, in the order a value travels:
 * - search time: `modifiers` / `checkModifier` and `parse` turn one request value into a Condition;
 * - write time: `extract` turns a FHIRPath result into index entries; `entryKey` deduplicates them;
 * - evaluation: `entryMatches` / `negated` decide a Condition on one resource's entries in memory
 *   (evaluate-condition.ts); the stores compile the same test: `postgres` (rows of the side table
 *   fhir_idx_<kind> and a predicate over one row) and `mongo` (the idx.<kind> elements and a filter on one).
 * The PostgreSQL and Mongo parts are pure (SQL text with bind parameters, filter objects): no I/O here.
 */
import type { Filter, IndexSpec } from '../../../store/mongo/doc-db.js';
import type { SqlParams, SqlType } from '../../../store/postgres/search/sql-params.js';
import type { IndexEntry } from '../../indexing/index-entry.js';
import type { Extractor } from '../../indexing/extractors/extractor.js';
import type { SearchParameterInfo } from '../../indexing/search-parameter-registry.js';
import type { Condition, ParamKind } from '../search-query.js';

/** The kinds that have their own index entries and conditions (composite combines them). */
export type PlainKind = Exclude<ParamKind, 'composite'>;

export type ConditionOf<K extends PlainKind> = Extract<Condition, { kind: K }>;
export type EntryOf<K extends PlainKind> = Extract<IndexEntry, { kind: K }>;

export type ValueContext = {
  /** Absolute base of this server (`http://h/fhir`): references to it become literal references. */
  baseUrl: string;
  /** Epoch ms used by `ap` on dates. */
  now: number;
  /** Resource types that exist (for the reference `:Type` modifier). */
  isResourceType: (name: string) => boolean;
};

/** One occurrence of a parameter: its values split on commas (none empty); `label` names it in error messages. */
export type ParseInput = {
  def: SearchParameterInfo;
  modifier: string | undefined;
  values: string[];
  ctx: ValueContext;
  label: string;
};

/** A column of a side table (after resource_type, resource_id, param, tuple, which every side table has). */
export type SideColumn = { name: string; type: string };

export type PostgresKind<K extends PlainKind> = {
  /** The columns of fhir_idx_<kind>, in the order of `rowValues` (the migrations create them). */
  columns: readonly SideColumn[];
  rowValues(entry: EntryOf<K>): unknown[];
  /** True for one row (alias `a`) that matches the condition; the caller adds the param and owner tests. */
  predicate(condition: ConditionOf<K>, a: string, params: SqlParams): string;
  /** `_sort`: the value of row `a` whose min (ascending) or max (descending) orders the resource, and its type. */
  sort: { ascending: string; descending: string; type: SqlType };
};

/** What the per-parameter sort fields of a Mongo document are built from: the smallest and largest value. */
export type SortExtent = { kind: 'number'; min: number; max: number } | { kind: 'string'; min: string; max: string };

export type MongoKind<K extends PlainKind> = {
  /** Indexes on the idx.<kind> array of every resource collection. */
  indexes: readonly IndexSpec[];
  /** What one idx.<kind> element must satisfy (inside $elemMatch), besides its param. */
  filter(condition: ConditionOf<K>): Filter;
  sortExtent(entry: EntryOf<K>): SortExtent | undefined;
};

export type SearchParamKind<K extends PlainKind> = {
  kind: K;
  /** Modifiers this kind takes (every kind also takes :missing, handled before the kind is asked). */
  modifiers: readonly string[];
  /**
   * A modifier outside `modifiers`: true when the kind accepts it after all (reference `:Type`); it may throw a more
   * specific error than the generic "unknown modifier".
   */
  acceptsOtherModifier?(modifier: string, def: SearchParameterInfo, ctx: ValueContext): boolean;
  parse(input: ParseInput): ConditionOf<K>;
  extract: Extractor;
  /** Equal for two entries exactly when they carry the same information (deduplication). */
  entryKey(entry: EntryOf<K>): string;
  /** Whether this one entry matches (some value of) the condition. */
  entryMatches(condition: ConditionOf<K>, entry: EntryOf<K>): boolean;
  /** True when the condition holds for the resources that have NO matching entry (token `:not`). */
  negated(condition: ConditionOf<K>): boolean;
  postgres: PostgresKind<K>;
  mongo: MongoKind<K>;
};
