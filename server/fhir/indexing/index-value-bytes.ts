/**
 * Index values kept in B-tree indexes are cut on a byte budget: PostgreSQL refuses an index row above 2,704 bytes
 * (after compression, which random or non-Latin text does not get: 4,000 Arabic letters are 8,000 bytes of UTF-8),
 * and a refused row fails the whole write. Every string entry's value (names, addresses, narrative, `_content`
 * chunks, phonetic keys) is kept to MAX_INDEX_VALUE_BYTES of UTF-8, cut at a code point (never half a surrogate
 * pair). The words past the cut are not searchable; the resource itself is stored unchanged.
 *
 * Token, URI and reference values (codes, systems, identifiers, emails, URLs) are matched whole, not by their words:
 * one longer than MAX_KEY_VALUE_BYTES is kept folded (foldKeyValue): its beginning, then a SHA-256 digest of the whole
 * value. The values searched for are folded the same way, so an exact match stays exact however long the value is;
 * only prefix matches (uri :below/:above, beyond the kept beginning) cannot see past the fold.
 */
import { createHash } from 'node:crypto';

/** UTF-8 bytes of a string entry's value: with the key columns (type, id ≤ 64, param) the row stays under 2,704. */
export const MAX_INDEX_VALUE_BYTES = 2400;

/** The longest prefix of `text` of at most `maxBytes` bytes of UTF-8, ending at a whole code point. */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text; // every UTF-16 unit is at most 3 bytes of UTF-8
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4; // a lone surrogate is 3 (U+FFFD)
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, i);
}

/**
 * As utf8Prefix, but text of words cut inside a word loses that partial word (it would be found as a word it is not),
 * unless it is the only word.
 */
export function utf8WordsPrefix(text: string, maxBytes: number): string {
  const cut = utf8Prefix(text, maxBytes);
  if (cut.length === text.length || text[cut.length] === ' ') return cut;
  const space = cut.lastIndexOf(' ');
  return space > 0 ? cut.slice(0, space) : cut;
}

/** `text` without a high surrogate left alone at its end (by a cut such as `slice(0, n)`). */
export function wholeCodePoints(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}

/**
 * UTF-8 bytes of a token, URI or reference value as indexed: two of them can share one btree row (a token's code and
 * system), with the key columns, under 2,704.
 */
export const MAX_KEY_VALUE_BYTES = 1000;

/** Between a folded value's kept beginning and the digest of the whole value. */
const FOLD_MARK = ' \u2026sha256:';

/**
 * A value matched whole, as indexed and as searched: unchanged up to MAX_KEY_VALUE_BYTES of UTF-8; longer, its
 * beginning, FOLD_MARK and the base64url SHA-256 of the whole value (43 characters), MAX_KEY_VALUE_BYTES at most.
 */
export function foldKeyValue(value: string): string {
  if (value.length * 3 <= MAX_KEY_VALUE_BYTES || Buffer.byteLength(value, 'utf8') <= MAX_KEY_VALUE_BYTES) return value;
  const digest = createHash('sha256').update(value, 'utf8').digest('base64url');
  const tail = FOLD_MARK + digest;
  return utf8Prefix(value, MAX_KEY_VALUE_BYTES - Buffer.byteLength(tail, 'utf8')) + tail;
}
