import { compositeEntryKey } from '../search/kinds/composite/match-composite.js';
import { kindOf } from '../search/kinds/registry.js';
import type { IndexEntry } from './index-entry.js';

/**
 * The entries without repeats (first occurrence kept, order kept). Only entries whose param occurs more
 * than once can repeat, so only those get a key built (most params give one entry).
 *
 * A token entry of text alone (a CodeableConcept's text, a Coding with a display only) is a repeat too when a coded
 * entry of the same param carries the same text — Synthea's `type.text` equal to its coding's display, in most coded
 * resources: every search finds the same resources without it (`:text` matches the coded entry's text, `:missing` sees
 * the param's other entry, codes and sorts (min/max of code) never see a null code).
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
  for (const entry of entries)
    if (entry.kind === 'token' && entry.text !== undefined && !isTextOnly(entry) && perParam.get(entry.param)! > 1)
      seen.add(textKey(entry.param, entry.text));
  const unique: IndexEntry[] = [];
  for (const entry of entries) {
    if (perParam.get(entry.param) === 1) {
      unique.push(entry);
      continue;
    }
    const key = entry.kind === 'token' && isTextOnly(entry) ? textKey(entry.param, entry.text!) : entryKey(entry);
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

/** A token entry with a text and nothing else (no system, code or identifier type). */
function isTextOnly(entry: Extract<IndexEntry, { kind: 'token' }>): boolean {
  return (
    entry.system === null &&
    entry.code === null &&
    entry.text !== undefined &&
    entry.typeSystem === undefined &&
    entry.typeCode === undefined
  );
}

/** The key a coded token entry's text and a text-only entry of the same text share (no kind's entryKey starts so). */
function textKey(param: string, text: string): string {
  return `text\u0000${param}\u0000${text}`;
}
