/**
 * Which string search parameters hold person names (name-search-parameters.json, data): those get name-part
 * entries beside their ordinary ones, and the `phonetic` ones get phonetic keys instead of text.
 */
import { readFileSync } from 'node:fs';
import { foldText } from './fold-text.js';

export type TextHandling = 'personName' | 'phonetic';

type NameParameterFile = { personName: string[]; phonetic: string[] };

let byUrl: Map<string, TextHandling> | undefined;

/** How the parameter with this canonical URL indexes its text (undefined: as any string). */
export function textHandlingOf(url: string): TextHandling | undefined {
  if (!byUrl) {
    const file = JSON.parse(
      readFileSync(new URL('./name-search-parameters.json', import.meta.url), 'utf8'),
    ) as NameParameterFile;
    byUrl = new Map();
    for (const u of file.personName) byUrl.set(u, 'personName');
    for (const u of file.phonetic) byUrl.set(u, 'phonetic');
  }
  return byUrl.get(url);
}

/** The param under which the name-part entries of a person-name parameter are kept (never searched directly). */
export function namePartParam(code: string): string {
  return `${code}~part`;
}

/**
 * The param under which a phonetic parameter keeps the key pairs of a name's first two words (personal and father's
 * name): matching's blocking key (matching/match-patients.ts), one index lookup instead of intersecting two keys
 * that tens of thousands of patients share. Never searched directly.
 */
export function phoneticPairParam(code: string): string {
  return `${code}~pair`;
}

/** At most this many pairs per name (the keys come best first; words have 1–4 keys, rarely more). */
export const MAX_PHONETIC_PAIRS = 32;

/** Every key of the first word with every key of the second (`hny slh`), at most MAX_PHONETIC_PAIRS. */
export function phoneticPairs(first: string[], second: string[]): string[] {
  const pairs: string[] = [];
  for (const a of first) for (const b of second) if (pairs.length < MAX_PHONETIC_PAIRS) pairs.push(`${a} ${b}`);
  return pairs;
}

const CONNECTIVES = new Set(['بن', 'ابن', 'بنت', 'ود', 'bin', 'ibn', 'bint', 'wad', 'ould']);
const LATIN_ARTICLES = new Set(['al', 'el', 'ul']);

/**
 * The extra searchable forms of one folded name part: every word after the first (`محمد احمد` → `احمد`) and every
 * word without its article (`الطيب` → `طيب`, `el-tayeb` → `tayeb`). Articles and connectives alone are not parts.
 */
export function namePartVariants(folded: string): string[] {
  const words = folded.split(/[ -]+/).filter((w) => w.length > 0);
  const out = new Set<string>();
  words.forEach((word, i) => {
    if (CONNECTIVES.has(word) || LATIN_ARTICLES.has(word)) return;
    if (i > 0 && word.length >= 2) out.add(word);
    if (word.startsWith('ال') && word.length >= 4) out.add(word.slice(2));
  });
  out.delete(folded);
  return [...out];
}

/** namePartVariants of a raw text (folded first). */
export function namePartsOf(text: string): string[] {
  return namePartVariants(foldText(text));
}
