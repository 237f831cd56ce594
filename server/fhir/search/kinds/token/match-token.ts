/** Token entries in memory: their identity (deduplication) and whether one matches a token condition. */
import type { TokenValue } from '../../search-query.js';
import { entryField as f, ENTRY_KEY_SEPARATOR as SEP } from '../entry-key.js';
import type { ConditionOf, EntryOf } from '../search-param-kind.js';

export function tokenEntryKey(entry: EntryOf<'token'>): string {
  return `t${SEP}${entry.param}${SEP}${f(entry.system)}${SEP}${f(entry.code)}${SEP}${f(entry.text)}${SEP}${f(entry.typeSystem)}${SEP}${f(entry.typeCode)}`;
}

export function tokenEntryMatches(condition: ConditionOf<'token'>, entry: EntryOf<'token'>): boolean {
  return condition.values.some((v) => tokenValueMatches(entry, v));
}

function tokenValueMatches(e: EntryOf<'token'>, v: TokenValue): boolean {
  switch (v.match) {
    case 'code':
      if (v.system === null && e.system !== null) return false;
      if (typeof v.system === 'string' && e.system !== v.system) return false;
      return v.code === undefined || e.code === v.code;
    case 'text':
      return (e.text ?? '').startsWith(v.text);
    case 'of-type':
      return e.typeSystem === v.typeSystem && e.typeCode === v.typeCode && e.code === v.value;
  }
}
