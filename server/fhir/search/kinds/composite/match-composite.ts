/** Composite entries in memory: their deduplication key, and whether one tuple matches a composite condition. */
import type { CompositeEntry, IndexEntry } from '../../../indexing/index-entry.js';
import type { Condition } from '../../search-query.js';
import { ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { CompositeCondition } from './parse-composite.js';

/** Equal for two composite entries exactly when their parts are (each part keyed by its own kind: `partKey`). */
export function compositeEntryKey(entry: CompositeEntry, partKey: (part: IndexEntry) => string): string {
  return `c${SEP}${entry.param}${SEP}${entry.parts.map(partKey).join('\u0002')}`;
}

/**
 * True when one value of the condition holds on this one tuple: its i-th part satisfies the i-th condition
 * (`partHolds`: the evaluation of a plain condition on a single entry).
 */
export function compositeEntryMatches(
  condition: CompositeCondition,
  entry: CompositeEntry,
  partHolds: (part: Condition, entry: IndexEntry) => boolean,
): boolean {
  return condition.values.some((parts) =>
    parts.every((part, i) => entry.parts[i] !== undefined && partHolds(part, entry.parts[i])),
  );
}
