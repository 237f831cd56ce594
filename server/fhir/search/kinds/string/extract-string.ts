import { normalizeString } from '../../../indexing/normalize.js';
import type { IndexEntry } from '../../../indexing/index-entry.js';
import { asObject, asString, asStrings, type Extractor } from '../../../indexing/extractors/extractor.js';
import { MAX_INDEX_VALUE_BYTES, utf8WordsPrefix, wholeCodePoints } from '../../../indexing/index-value-bytes.js';

/**
 * Longest narrative text kept for `_text` (characters, after tags are stripped); its index value is further cut to
 * MAX_INDEX_VALUE_BYTES of UTF-8 between words (index-value-bytes.ts): about 2,400 Latin or 1,200 Arabic letters of
 * narrative are searchable, the words after them are not.
 */
export const MAX_NARRATIVE_LENGTH = 4000;

const HUMAN_NAME_PARTS = ['family', 'given', 'prefix', 'suffix', 'text'] as const;
const ADDRESS_PARTS = ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'] as const;

/** string/markdown/code/…, HumanName (its parts), Address (its parts), xhtml narrative (tags stripped). */
export const extractString: Extractor = (param, { type, value }, out) => {
  switch (type) {
    case 'HumanName': {
      pushParts(param, value, HUMAN_NAME_PARTS, out);
      return;
    }
    case 'Address': {
      pushParts(param, value, ADDRESS_PARTS, out);
      return;
    }
    case 'xhtml':
      if (typeof value === 'string') pushNarrative(param, narrativeText(value), out);
      return;
    case 'CodeableConcept': {
      const cc = asObject(value);
      push(param, asString(cc?.text), out);
      for (const coding of Array.isArray(cc?.coding) ? cc.coding : [])
        push(param, asString(asObject(coding)?.display), out);
      return;
    }
    case 'Coding': {
      push(param, asString(asObject(value)?.display), out);
      return;
    }
    default:
      if (typeof value === 'string') push(param, value, out);
  }
};

function pushParts(param: string, value: unknown, parts: readonly string[], out: IndexEntry[]): void {
  const object = asObject(value);
  if (!object) return;
  for (const part of parts) for (const text of asStrings(object[part])) push(param, text, out);
}

function push(param: string, exact: string | undefined, out: IndexEntry[]): void {
  if (exact === undefined) return;
  const value = normalizeString(exact);
  if (value.length === 0) return;
  out.push({ kind: 'string', param, value, exact });
}

function pushNarrative(param: string, text: string, out: IndexEntry[]): void {
  const exact = wholeCodePoints(text.slice(0, MAX_NARRATIVE_LENGTH));
  const value = utf8WordsPrefix(normalizeString(exact), MAX_INDEX_VALUE_BYTES);
  if (value.length > 0) out.push({ kind: 'string', param, value, exact });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The visible text of an XHTML fragment: tags removed, common entities decoded, white space collapsed. */
export function narrativeText(xhtml: string): string {
  return xhtml
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}
