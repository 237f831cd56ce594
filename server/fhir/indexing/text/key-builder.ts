/**
 * Builds the set of phonetic keys of one name component from a sequence of slots, each slot offering one or more
 * renderings ('' = silent). Every combination is a key; adjacent equal letters collapse (shadda, `mm`, a doubled
 * letter across a dropped vowel), and the set is capped so that an odd input cannot blow up the index.
 */

/** One position of the component: the alternatives it may be written as (first = most likely). */
export type Slot = readonly string[];

export const MAX_KEYS_PER_COMPONENT = 16;

export function expandSlots(slots: readonly Slot[], cap = MAX_KEYS_PER_COMPONENT): string[] {
  let partial: string[] = [''];
  for (const slot of slots) {
    const next: string[] = [];
    for (const prefix of partial) {
      for (const option of slot) {
        next.push(prefix + option);
        if (next.length >= cap * 4) break;
      }
      if (next.length >= cap * 4) break;
    }
    partial = dedupe(next);
  }
  return dedupe(partial.map(collapseRepeats).filter((k) => k.length > 0)).slice(0, cap);
}

/** `mmd` → `md`: a letter written twice in a row is one sound. */
export function collapseRepeats(key: string): string {
  return key.replace(/(.)\1+/g, '$1');
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * The keys of a compound: every combination of its components' keys, concatenated (capped) and collapsed again, so
 * that a compound keys the same whether or not it was split where the other script splits it (`fadl`+`lah` and
 * `fadlallah` both give `fdl…`).
 */
export function concatKeys(parts: string[][], cap = MAX_KEYS_PER_COMPONENT): string[] {
  let out: string[] = [''];
  for (const keys of parts) {
    if (keys.length === 0) continue;
    const next: string[] = [];
    for (const prefix of out) for (const key of keys) if (next.length < cap) next.push(prefix + key);
    out = dedupe(next);
  }
  return dedupe(out.map(collapseRepeats).filter((k) => k.length > 0));
}
