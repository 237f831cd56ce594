/**
 * Typed search-index entries, extracted at write time from each applicable SearchParameter's
 * FHIRPath expression (see ../../../DESIGN notes in README). Stores persist them as they are
 * (PostgreSQL: typed side tables; MongoDB: an index sub-document) and never look inside resources
 * to answer a search.
 *
 * Conventions shared by every store:
 * - `param` is the SearchParameter `code` (e.g. `name`, `subject`, `_tag`, `code-value-quantity`).
 * - Dates are instants in epoch milliseconds, inclusive on both ends: `2020-01` becomes
 *   low = 2020-01-01T00:00:00.000Z, high = 2020-01-31T23:59:59.999Z (dates without a zone are read as UTC).
 * - Numbers and quantities carry the implicit precision range of the written value
 *   (`5.4` → low 5.35, high 5.45) besides the value itself.
 * - String `value` is normalised (lower case, accents stripped, white space collapsed); `exact` is as written.
 */
export type IndexEntry =
  StringEntry | TokenEntry | DateEntry | NumberEntry | QuantityEntry | ReferenceEntry | UriEntry | CompositeEntry;

export type StringEntry = { kind: 'string'; param: string; value: string; exact: string };

/**
 * `system` null means the element had no system. `text` is the normalised display/text
 * (CodeableConcept.text, Coding.display, Identifier.type.text) used by `:text`.
 * For identifiers, `typeSystem`/`typeCode` carry Identifier.type.coding (for `:of-type`).
 */
export type TokenEntry = {
  kind: 'token';
  param: string;
  system: string | null;
  code: string | null;
  text?: string;
  typeSystem?: string;
  typeCode?: string;
};

export type DateEntry = { kind: 'date'; param: string; low: number; high: number };

export type NumberEntry = { kind: 'number'; param: string; value: number; low: number; high: number };

/** `canonicalValue`/`canonicalCode` hold the UCUM-normalised form when the unit is convertible. */
export type QuantityEntry = {
  kind: 'quantity';
  param: string;
  value: number;
  low: number;
  high: number;
  system: string | null;
  code: string | null;
  unit: string | null;
  canonicalValue?: number;
  canonicalCode?: string;
};

/**
 * A literal reference `Patient/123` gives targetType + targetId; an absolute URL or canonical gives `url`
 * (and targetType/targetId too when the URL ends in `Type/id`); a logical reference gives
 * identifierSystem/identifierValue (for `:identifier`).
 */
export type ReferenceEntry = {
  kind: 'reference';
  param: string;
  targetType: string | null;
  targetId: string | null;
  url: string | null;
  identifierSystem?: string;
  identifierValue?: string;
};

export type UriEntry = { kind: 'uri'; param: string; value: string };

/** One tuple of a composite parameter; `parts[i]` is the i-th component (its own `param` is the component's code). */
export type CompositeEntry = { kind: 'composite'; param: string; parts: IndexEntry[] };

export type IndexEntryKind = IndexEntry['kind'];

/** What a store keeps beside each current resource version to answer searches. */
export type ResourceIndex = {
  entries: IndexEntry[];
  /** Compartments the resource belongs to, as references: `Patient/123`, `Encounter/9`, … */
  compartments: string[];
};
