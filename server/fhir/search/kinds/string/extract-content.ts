/**
 * `_content` (R4: "search on the entire content of the resource") as index entries: the distinct words of every
 * text in the resource — each string value of every element (contained and nested resources and extensions
 * included), and the visible text of narratives — except values that are not text: ids, references, system and
 * other URIs, base64 data, hashes, and dates/times. Words are found as `_text` finds them (textWords after
 * normalizeString: case, accents and the Arabic folds folded). They are stored as string entries of param
 * `_content`, space-separated, in chunks of at most MAX_CONTENT_CHUNK characters (cut between words, so a chunk row
 * stays well inside PostgreSQL's btree row limit), at most MAX_CONTENT_LENGTH characters in all. A search needs
 * each of its words in some chunk (one `words` condition per word: parse-search.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from '../../../indexing/index-entry.js';
import { normalizeString } from '../../../indexing/normalize.js';
import { narrativeText } from './extract-string.js';
import { textWords } from './string-kind.js';
import { wholeCodePoints } from '../../../indexing/index-value-bytes.js';

export const CONTENT_PARAM = '_content';
/**
 * Longest chunk (UTF-16 code units, as `length` counts them): a unit is at most 3 bytes of UTF-8 (a 4-byte character
 * is 2 units), so a chunk is at most 1,800 bytes, inside MAX_INDEX_VALUE_BYTES. A word longer than a chunk is cut
 * (at a whole character); the rest of it is not searchable.
 */
export const MAX_CONTENT_CHUNK = 600;
/** Most characters of distinct words kept for one resource (a larger resource is searchable by its first words). */
export const MAX_CONTENT_LENGTH = 24_000;

/** Elements whose string values are not text. */
export const NOT_TEXT_KEYS: ReadonlySet<string> = new Set([
  'resourceType',
  'id',
  'reference',
  'system',
  'url',
  'fullUrl',
  'profile',
  'versionId',
  'lastUpdated',
  'source',
  'data',
  'hash',
  'div',
]);

/** FHIR date, dateTime, instant and time values (a bare year is kept: it may as well be a code or a number). */
export const DATE_OR_TIME = /^(\d{4}-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?|\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;

export function extractContent(resource: Resource, out: IndexEntry[]): void {
  const words = new Set<string>();
  const addText = (text: string) => {
    for (const word of textWords(normalizeString(text))) words.add(word);
  };
  visit(resource, addText);
  let chunk = '';
  let length = 0;
  for (const word of words) {
    if (length + word.length > MAX_CONTENT_LENGTH) break;
    length += word.length + 1;
    if (chunk.length + 1 + word.length > MAX_CONTENT_CHUNK) {
      push(chunk, out);
      chunk = '';
    }
    chunk = chunk ? `${chunk} ${word}` : wholeCodePoints(word.slice(0, MAX_CONTENT_CHUNK));
  }
  push(chunk, out);
}

function push(chunk: string, out: IndexEntry[]): void {
  // exact is never searched for _content (words only): left empty rather than a second copy of the chunk
  if (chunk) out.push({ kind: 'string', param: CONTENT_PARAM, value: chunk, exact: '' });
}

function visit(value: unknown, addText: (text: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, addText);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) visitElement(key, child, addText);
}

/** One element's value (or one value of a repeating element: `given: ['a', 'b']`). */
function visitElement(key: string, value: unknown, addText: (text: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visitElement(key, item, addText);
    return;
  }
  if (typeof value === 'string') {
    if (key === 'div') addText(narrativeText(value));
    else if (!NOT_TEXT_KEYS.has(key) && !DATE_OR_TIME.test(value)) addText(value);
    return;
  }
  // an element named like a skipped one may hold objects (a Bundle entry's `resource`, `source` of MessageHeader)
  if (value && typeof value === 'object' && key !== 'profile') visit(value, addText);
}
