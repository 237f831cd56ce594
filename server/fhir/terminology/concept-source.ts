/**
 * What terminology reads from one version of a code system, whether its concepts are held in memory (the R4
 * definitions, a client's CodeSystem) or in the store's concept table (a large uploaded code system).
 * Everything is async so that both kinds answer through the same interface.
 */
import type { CodeSystemConceptDesignation, CodeSystemConceptProperty } from '@medplum/fhirtypes';

export type Concept = {
  code: string;
  display?: string;
  definition?: string;
  designation?: CodeSystemConceptDesignation[];
  property?: CodeSystemConceptProperty[];
  /** Marked abstract / notSelectable: valid in a hierarchy, not as a code of an expansion. */
  abstract?: boolean;
  inactive?: boolean;
};

export type CodeSystemInfo = {
  url: string;
  version?: string;
  name?: string;
  title?: string;
  /** complete | fragment | example | not-present | supplement */
  content: string;
  caseSensitive: boolean;
  /** How many concepts it holds (what the code system says, else what was counted). */
  count: number;
};

export interface ConceptSource {
  readonly info: CodeSystemInfo;
  lookup(code: string): Promise<Concept | undefined>;
  /** The concepts of these codes that exist (in no particular order). */
  lookupMany(codes: readonly string[]): Promise<Concept[]>;
  /** Every concept in code system order (refused by a store-backed source beyond a size it can hold). */
  all(): Promise<Concept[]>;
  /** Direct parents (is-a). */
  parents(code: string): Promise<string[]>;
  /** Direct children (is-a). */
  children(code: string): Promise<string[]>;
  /** Every code below `code` (transitively), without `code` itself. */
  descendants(code: string): Promise<string[]>;
  /** Every code above `code` (transitively), without `code` itself. */
  ancestors(code: string): Promise<string[]>;
  /**
   * Concepts in code system order whose display (or code) has every word of `text` at a word start
   * (case-insensitive, accents ignored); no text = every concept. Paged by offset/count; `total` counts them all,
   * or is undefined when a store-backed source would have to count more than COUNT_CAP.
   */
  search(options: ConceptSearch): Promise<ConceptPage>;
}

/** A store-backed search counts its matches up to this many; beyond, its total is unknown (left out of $expand). */
export const COUNT_CAP = 1000;

export type ConceptPage = { concepts: Concept[]; total: number | undefined };

export type ConceptSearch = {
  text?: string;
  /** Only the concepts below this code (is-a without the code itself, as descendent-of). */
  below?: string;
  /** With `below`: the code itself too (is-a). */
  includeSelf?: boolean;
  offset: number;
  count: number;
};

/** The words of a filter text, lower-cased, without accents or punctuation. */
export function filterWords(text: string | undefined): string[] {
  if (!text) return [];
  return normalizeText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export function normalizeText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Whether every filter word starts some word of the concept's code or display. */
export function matchesWords(concept: Pick<Concept, 'code' | 'display'>, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const own = filterWords(`${concept.display ?? ''} ${concept.code}`);
  return words.every((w) => own.some((o) => o.startsWith(w)));
}
