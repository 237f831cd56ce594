/**
 * Extractors of the string parameters that hold person names (text/name-search-parameters.json):
 * - person names: the ordinary string entries, plus the name-part entries (later words of a part, words without
 *   their article) under `<code>~part`, which the default (prefix) search of the parameter also looks at;
 * - phonetic: one entry per phonetic key of each name word (value = exact = key), matched whole by the search; for a
 *   HumanName also the key pairs of its first two words (personal and father's name) under `<code>~pair`
 *   (text/name-parameters.ts), a selective blocking key for matching, never searched by clients.
 */
import type { IndexEntry } from '../index-entry.js';
import { namePartParam, namePartVariants, phoneticPairParam, phoneticPairs } from '../text/name-parameters.js';
import { nameWords } from '../text/name-words.js';
import { asObject, asString, asStrings, type Extractor } from './extractor.js';
import { extractString } from '../../search/kinds/string/extract-string.js';

export const extractPersonName: Extractor = (param, value, out) => {
  const mark = out.length;
  extractString(param, value, out);
  const partParam = namePartParam(param);
  const added = out.length;
  for (let i = mark; i < added; i++) {
    const entry = out[i]!;
    if (entry.kind !== 'string') continue;
    for (const variant of namePartVariants(entry.value))
      out.push({ kind: 'string', param: partParam, value: variant, exact: entry.exact });
  }
};

export const extractPhonetic: Extractor = (param, { type, value }, out) => {
  const words = nameTexts(type, value).flatMap(nameWords);
  for (const word of words)
    for (const key of word.keys) out.push({ kind: 'string', param, value: key, exact: key } satisfies IndexEntry);
  if (type !== 'HumanName' || words.length < 2) return;
  const pairParam = phoneticPairParam(param);
  for (const pair of phoneticPairs(words[0]!.keys, words[1]!.keys))
    out.push({ kind: 'string', param: pairParam, value: pair, exact: pair } satisfies IndexEntry);
};

/** The texts whose words are a person's name: family and given (text only when neither is there), or a plain string. */
function nameTexts(type: string, value: unknown): string[] {
  if (type !== 'HumanName') return typeof value === 'string' ? [value] : [];
  const name = asObject(value);
  if (!name) return [];
  const parts = [...asStrings(name['given']), ...asStrings(name['family'])];
  if (parts.length > 0) return parts;
  const text = asString(name['text']);
  return text ? [text] : [];
}
