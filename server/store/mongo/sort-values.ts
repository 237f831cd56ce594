/**
 * Precomputed per-parameter sort fields, so that `_sort` is a plain index-friendly sort on one field
 * with "resources without a value sort last" in both directions.
 *
 * Every parameter sort runs *descending* on a stored key (a missing field sorts lowest in MongoDB, so
 * last when descending):
 * - `sort.<param>.d` (for `-param`): the largest value (dates: the largest high bound);
 * - `sort.<param>.a` (for `param`): an order-reversed form of the smallest value (dates: smallest low):
 *   numbers negated, strings complemented code point by code point.
 * Strings are encoded as BMP characters below the surrogate range so that MongoDB's byte order and
 * JavaScript's code-unit order (mingo, and the merge of several collections) agree.
 */
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import { UnsupportedQueryError } from '../resource-store.js';
import type { SortKey } from '../../fhir/search/search-query.js';
import { kindOf } from '../../fhir/search/kinds/registry.js';
import { unionParams } from '../../fhir/indexing/union-params.js';
import type { SortExtent } from '../../fhir/search/kinds/search-param-kind.js';

export type SortValue = number | string;
export type SortFields = Record<string, { a: SortValue; d: SortValue }>;

/** Sort strings are compared on their first code points only. */
const MAX_SORT_CHARS = 100;
const DIGIT_BASE = 0x1000;
const DIGIT_OFFSET = 0x1000;
/** Greater than every digit: a string sorts after its own extensions once complemented. */
const COMPLEMENT_END = String.fromCharCode(0x2000);
const MAX_CODE_POINT = 0x10ffff;

function digits(n: number): string {
  return String.fromCharCode(DIGIT_OFFSET + Math.floor(n / DIGIT_BASE), DIGIT_OFFSET + (n % DIGIT_BASE));
}

/** Order-preserving encoding of a string. */
export function forwardKey(value: string): string {
  return [...value]
    .slice(0, MAX_SORT_CHARS)
    .map((ch) => digits(ch.codePointAt(0)!))
    .join('');
}

/** Order-reversing encoding of a string: a < b ⇔ complementKey(a) > complementKey(b). */
export function complementKey(value: string): string {
  return (
    [...value]
      .slice(0, MAX_SORT_CHARS)
      .map((ch) => digits(MAX_CODE_POINT - ch.codePointAt(0)!))
      .join('') + COMPLEMENT_END
  );
}

/** Field-name-safe form of a parameter code (MongoDB field names cannot contain `.` or start with `$`). */
export function paramField(param: string): string {
  return param.replace(/[^A-Za-z0-9_-]/g, (ch) => `~${ch.codePointAt(0)!.toString(16)}~`);
}

function extentOf(entry: IndexEntry): SortExtent | undefined {
  return entry.kind === 'composite' ? undefined : kindOf(entry.kind).mongo.sortExtent(entry);
}

/**
 * The sort fields of a resource of `resourceType` from its index entries; a union parameter of the type
 * (indexing/union-params.ts, no entries of its own) gets the extent of its members' entries.
 */
export function sortFieldsOf(entries: IndexEntry[], resourceType: string): SortFields {
  const extents = new Map<string, SortExtent>();
  for (const entry of entries) {
    const extent = extentOf(entry);
    if (!extent) continue;
    extents.set(entry.param, widen(extents.get(entry.param), extent) ?? extent);
  }
  for (const [union, members] of unionParams(resourceType)) {
    const merged = members.map((m) => extents.get(m)).reduce<SortExtent | undefined>(widen, undefined);
    if (merged) extents.set(union, merged);
  }
  const fields: SortFields = {};
  for (const [param, e] of extents) {
    fields[paramField(param)] =
      e.kind === 'number' ? { a: -e.min, d: e.max } : { a: complementKey(e.min), d: forwardKey(e.max) };
  }
  return fields;
}

/** The extent covering both (the first when their kinds differ, as before). */
function widen(seen: SortExtent | undefined, extent: SortExtent | undefined): SortExtent | undefined {
  if (!seen || !extent) return seen ?? extent;
  if (seen.kind === 'number' && extent.kind === 'number')
    return { kind: 'number', min: Math.min(seen.min, extent.min), max: Math.max(seen.max, extent.max) };
  if (seen.kind === 'string' && extent.kind === 'string')
    return {
      kind: 'string',
      min: seen.min < extent.min ? seen.min : extent.min,
      max: seen.max > extent.max ? seen.max : extent.max,
    };
  return seen;
}

/** A physical sort key: a document field and its direction (1 ascending, -1 descending). */
export type FieldSort = { field: string; dir: 1 | -1 };

/** The stored field and direction that realise a SortKey. */
export function fieldSortFor(key: SortKey): FieldSort {
  switch (key.kind) {
    case 'lastUpdated':
      return { field: 'lu', dir: key.descending ? -1 : 1 };
    case 'id':
      return { field: '_id', dir: key.descending ? -1 : 1 };
    case 'composite':
      throw new UnsupportedQueryError(`_sort on the composite parameter ${key.param} is not supported`);
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
      return { field: `sort.${paramField(key.param)}.${key.descending ? 'd' : 'a'}`, dir: -1 };
    default:
      return assertNever(key);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
