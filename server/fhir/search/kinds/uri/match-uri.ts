/** Uri entries in memory: their identity (deduplication) and whether one matches a uri condition. */
import { ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { ConditionOf, EntryOf } from '../search-param-kind.js';

export function uriEntryKey(entry: EntryOf<'uri'>): string {
  return `u${SEP}${entry.param}${SEP}${entry.value}`;
}

export function uriEntryMatches(condition: ConditionOf<'uri'>, entry: EntryOf<'uri'>): boolean {
  return condition.values.some((v) =>
    condition.match === 'eq'
      ? entry.value === v
      : condition.match === 'above'
        ? v.startsWith(entry.value)
        : entry.value.startsWith(v),
  );
}
