import { compositeEntryKey } from '../search/kinds/composite/match-composite.js';
import { kindOf } from '../search/kinds/registry.js';
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
  if (entry.kind === 'composite') return compositeEntryKey(entry, entryKey);
  return kindOf(entry.kind).entryKey(entry);
}
