/** Reference entries in memory: their identity (deduplication) and whether one matches a reference condition. */
import type { ReferenceValue } from '../../search-query.js';
import { entryField as f, ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { ConditionOf, EntryOf } from '../search-param-kind.js';

export function referenceEntryKey(e: EntryOf<'reference'>): string {
  return `r${SEP}${e.param}${SEP}${f(e.targetType)}${SEP}${f(e.targetId)}${SEP}${f(e.url)}${SEP}${f(e.identifierSystem)}${SEP}${f(e.identifierValue)}`;
}

export function referenceEntryMatches(condition: ConditionOf<'reference'>, entry: EntryOf<'reference'>): boolean {
  return condition.values.some((v) => referenceValueMatches(entry, v));
}

function referenceValueMatches(e: EntryOf<'reference'>, v: ReferenceValue): boolean {
  switch (v.match) {
    case 'literal':
      return e.targetId === v.targetId && (v.targetType === undefined || e.targetType === v.targetType);
    case 'url':
      return e.url === v.url;
    case 'identifier':
      return e.identifierValue === v.value && (v.system === undefined || e.identifierSystem === v.system);
  }
}
