import type { IndexEntry } from './index-entry.js';

/** The entries without repeats (entries are compared by their JSON form; first occurrence kept, order kept). */
export function dedupeEntries(entries: IndexEntry[]): IndexEntry[] {
  if (entries.length < 2) return entries;
  const seen = new Set<string>();
  const unique: IndexEntry[] = [];
  for (const entry of entries) {
    const key = JSON.stringify(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return unique;
}
