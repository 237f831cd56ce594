/**
 * A person's name text → its words, each with its phonetic keys (arabic-phonetic.ts, latin-phonetic.ts).
 *
 * Words are what a clerk would type one at a time. Compound names are one word in either script, whether written
 * joined or apart: `عبد الرحمن` / `عبدالرحمن` / `Abdel Rahman` / `Abdelrahman` / `Abd al-Rahman` / `Abdurrahman`,
 * `نور الدين` / `Nour El Din` / `Nureddin`, `فضل الله` / `Fadlallah`, `أبو بكر` / `Abubakr`. The article (ال, al-,
 * el-, assimilated as-/ad-/ar-…) inside a compound is dropped; at the start of a word it is optional (الطيب meets
 * both Eltayeb and Tayeb). Connectives (بن, ابن, بنت, ود, bin, ibn, bint, wad, ould) are not name words.
 */
import { arabicComponentKeys } from './arabic-phonetic.js';
import { concatKeys, MAX_KEYS_PER_COMPONENT } from './key-builder.js';
import { latinComponentKeys } from './latin-phonetic.js';

export type NameWord = { text: string; keys: string[] };

const ARABIC = /[\u0600-\u06ff]/;
const MARKS =
  /[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08ff]/g;
const INVISIBLE = /[\u00ad\u061c\u0640\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const ALEFS = /[\u0671-\u0673]/g;
const APOSTROPHES = /['\u2018\u2019\u02bb\u02bc\u02be\u02bf\u0060\u00b4]/g;

const CONNECTIVES = new Set(['بن', 'ابن', 'بنت', 'ود', 'bin', 'ibn', 'bint', 'binte', 'wad', 'ould', 'ben']);
const ARABIC_PREFIXES = new Set(['عبد', 'ابو', 'ام']);
const ARABIC_SUFFIXES = new Set(['الله', 'الدين']);
const LATIN_PREFIX = /^(?:abd[aeiou]{0,2}l?|ab[ou]{1,2}|umm?|om|oum)$/;
const LATIN_ARTICLE = /^(?:[aeu]l|[aeiu](?:[tdszrnl]|sh|th|dh))$/;
const LATIN_SUFFIX = /^(?:[aeiou]{0,2}[ld]?d(?:ee|i|e)ne?|[aeiou]{0,2}l?lah?|[aeiou]{0,2}llah?)$/;

/** The words of a name text with their phonetic keys (words without keys are left out). */
export function nameWords(text: string): NameWord[] {
  const tokens = lightNormalize(text)
    .split(/[\s\-_.,/]+/)
    .filter((t) => t.length > 0 && !CONNECTIVES.has(t));
  return joinCompounds(tokens)
    .map((word) => ({ text: word.join(' '), keys: cachedWordKeys(word) }))
    .filter((w) => w.keys.length > 0);
}

/** The keys of one (possibly multi-word) query value: each of its words' key sets. */
export function queryWordKeys(text: string): string[][] {
  return nameWords(text).map((w) => w.keys);
}

/** Case, marks, tatweel, invisible characters and apostrophes (ain/hamza signs in Latin) removed. */
function lightNormalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(INVISIBLE, '')
    .replace(APOSTROPHES, '')
    .replace(ALEFS, 'ا')
    .replace(/\u06cc/g, 'ي')
    .replace(/\u06a9/g, 'ك')
    .toLowerCase();
}

/** Tokens → words (lists of tokens): prefixes joined to the next token, allah/din-like ones to the previous. */
function joinCompounds(tokens: string[]): string[][] {
  const words: string[][] = [];
  let pending: string[] = [];
  for (const token of tokens) {
    const arabic = ARABIC.test(token);
    const isPrefix = arabic ? ARABIC_PREFIXES.has(token) : LATIN_PREFIX.test(token);
    const isArticle = !arabic && LATIN_ARTICLE.test(token);
    const isSuffix = arabic ? ARABIC_SUFFIXES.has(token) : LATIN_SUFFIX.test(token) && token.length >= 3;
    if (isSuffix && words.length > 0 && pending.every((t) => LATIN_ARTICLE.test(t))) {
      words[words.length - 1]!.push(...pending, token); // `Nour El Din`: the article belongs to the compound
      pending = [];
      continue;
    }
    pending.push(token);
    if (isPrefix || isArticle) continue;
    words.push(pending);
    pending = [];
  }
  if (pending.length > 0) words.push(pending);
  return words;
}

/**
 * The keys of the words met lately. The same words come back: a Patient create's extraction, its duplicate check and
 * the comparison of its candidates each take the keys of the same name, and common names recur across patients.
 * Bounded (emptied when full, under ~1 MB); the arrays are shared, so callers never change them.
 */
const KEY_CACHE_SIZE = 4096;
const keyCache = new Map<string, string[]>();

function cachedWordKeys(tokens: string[]): string[] {
  const id = tokens.join(' ');
  let keys = keyCache.get(id);
  if (keys === undefined) {
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
    keys = wordKeys(tokens);
    keyCache.set(id, keys);
  }
  return keys;
}

function wordKeys(tokens: string[]): string[] {
  const text = tokens.join('');
  if (text.length === 0) return [];
  const arabic = ARABIC.test(text);
  const components = arabic ? arabicComponents(tokens) : latinComponents(tokens);
  const keyOf = arabic ? arabicComponentKeys : latinComponentKeys;
  // an article at the start of the word may or may not be written in the other script
  const variants = components.map((c, i) =>
    i === 0 ? withoutLeadingArticle(c, arabic) : [stripArticle(c, arabic, 2)],
  );
  const keys = new Set<string>();
  for (const first of variants[0] ?? []) {
    for (const key of concatKeys([keyOf(first), ...variants.slice(1).map((v) => keyOf(v[0]!))]))
      if (keys.size < MAX_KEYS_PER_COMPONENT * 2) keys.add(key);
  }
  return [...keys];
}

/** Splits a word at compound boundaries: عبد|الرحمن, نور|الدين, abd|elrahman, nur|eddin. */
function arabicComponents(tokens: string[]): string[] {
  const joined = tokens.join('');
  for (const prefix of ARABIC_PREFIXES) {
    if (joined.startsWith(prefix) && joined.length > prefix.length + 1) {
      const rest = joined.slice(prefix.length);
      if (tokens.length > 1 || rest.startsWith('ال') || prefix === 'عبد') return [prefix, ...arabicComponents([rest])];
    }
  }
  for (const suffix of ARABIC_SUFFIXES) {
    if (joined.endsWith(suffix) && joined.length > suffix.length + 1) return [joined.slice(0, -suffix.length), suffix];
  }
  return [joined];
}

function latinComponents(input: string[]): string[] {
  const tokens = input.length > 1 ? input.filter((t) => !LATIN_ARTICLE.test(t)) : input;
  if (tokens.length > 1 && LATIN_PREFIX.test(tokens[0]!)) {
    // `abdel rahman`, `abu elgasim`, `om kalsoum`: the prefix's own article (abdEL) goes with it
    const root = /^abd/.test(tokens[0]!) ? 'abd' : tokens[0]!;
    return [root, ...latinComponents(tokens.slice(1))];
  }
  const joined = tokens.join('');
  const prefix = /^(abd|ab[ou]{1,2}(?=[^aeiou])|umm?(?=[^aeiou]))(.{3,})$/.exec(joined);
  if (prefix && (tokens.length > 1 || prefix[1] === 'abd' || /^[aeiou]{0,2}l/.test(prefix[2]!))) {
    const rest = prefix[1] !== 'abd' ? prefix[2]!.replace(/^l(?=[^aeiou])/, '') : prefix[2]!; // abuLgasim
    return [prefix[1]!, ...latinComponents([rest])];
  }
  const suffix = /^(.{3,}?)((?:[aeiou]{1,2}[ld]?)?d(?:ee|i|e)ne?|(?:[aeiou]{1,2}l)?lah?)$/.exec(joined);
  if (suffix && joined.length >= 6) return [suffix[1]!, suffix[2]!];
  return [joined];
}

/** The component with and without a leading article (only when enough of the name is left). */
function withoutLeadingArticle(component: string, arabic: boolean): string[] {
  const stripped = stripArticle(component, arabic, 3);
  return stripped === component ? [component] : [component, stripped];
}

/** The component without its article (ال, al, el, ul, or a vowel before a doubled sun letter: assadig, eddin). */
function stripArticle(component: string, arabic: boolean, minRest: number): string {
  if (arabic) return component.startsWith('ال') && component.length >= 2 + minRest ? component.slice(2) : component;
  const article = /^(?:[aeiou]{1,2}l|[aeiou](?=([tdrzsln])\1))/.exec(component);
  if (!article) return component;
  const rest = component.slice(article[0].length).replace(/^(.)\1/, '$1');
  return rest.length >= minRest ? rest : component;
}
