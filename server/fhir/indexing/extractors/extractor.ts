import type { TypedValue } from '@medplum/core';
import type { IndexEntry } from '../index-entry.js';

/**
 * One extractor per entry kind: turns one FHIRPath result value into zero or more index entries
 * (pushed onto `out`). It never throws on odd data: a value it cannot index is skipped.
 */
export type Extractor = (param: string, value: TypedValue, out: IndexEntry[]) => void;

/** A JSON object, or undefined for anything else. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A non-empty string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The non-empty strings of a repeating element (a lone string counts as one). */
export function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

/** Earliest and latest instants a date can stand for (±Infinity is not storable). */
export const MIN_INSTANT = -8.64e15;
export const MAX_INSTANT = 8.64e15;
