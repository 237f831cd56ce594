import { entryField as f, ENTRY_KEY_SEPARATOR as SEP } from '../search/kinds/entry-key.js';
import { tokenKind } from '../search/kinds/token/token-kind.js';
import type { IndexEntry } from './index-entry.js';

/**
 * The entries without repeats (first occurrence kept, order kept). Only entries whose param occurs more
 * than once can repeat, so only those get a key built (most params give one entry).
 */
export function dedupeEntries(entries: IndexEntry[]): IndexEntry[] {
  if (entries.length < 2) return entries;
  const perParam = new Map<string, number>();
  let repeated = false;
  for (const entry of entries) {
    const n = (perParam.get(entry.param) ?? 0) + 1;
    perParam.set(entry.param, n);
    if (n > 1) repeated = true;
  }
  if (!repeated) return entries;
  const seen = new Set<string>();
  const unique: IndexEntry[] = [];
  for (const entry of entries) {
    if (perParam.get(entry.param) === 1) {
      unique.push(entry);
      continue;
    }
    const key = entryKey(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return unique;
}

/** A string that is equal for two entries exactly when they carry the same information. */
export function entryKey(entry: IndexEntry): string {
  switch (entry.kind) {
    case 'string': // value too: a name-part entry (`name~part`) has several values for one exact text
      return `s${SEP}${entry.param}${SEP}${entry.value}${SEP}${entry.exact}`;
    case 'token':
      return tokenKind.entryKey(entry);
    case 'date':
      return `d${SEP}${entry.param}${SEP}${entry.low}${SEP}${entry.high}`;
    case 'number':
      return `n${SEP}${entry.param}${SEP}${entry.value}${SEP}${entry.low}${SEP}${entry.high}`;
    case 'quantity':
      return `q${SEP}${entry.param}${SEP}${entry.value}${SEP}${entry.low}${SEP}${entry.high}${SEP}${f(entry.system)}${SEP}${f(entry.code)}${SEP}${f(entry.unit)}`;
    case 'reference':
      return `r${SEP}${entry.param}${SEP}${f(entry.targetType)}${SEP}${f(entry.targetId)}${SEP}${f(entry.url)}${SEP}${f(entry.identifierSystem)}${SEP}${f(entry.identifierValue)}`;
    case 'uri':
      return `u${SEP}${entry.param}${SEP}${entry.value}`;
    case 'composite':
      return `c${SEP}${entry.param}${SEP}${entry.parts.map(entryKey).join('\u0002')}`;
    default: {
      const unknown: never = entry;
      return JSON.stringify(unknown);
    }
  }
}
