/**
 * Bytes of a JSON body → text, refusing invalid UTF-8 (Buffer#toString would put U+FFFD in its place and the
 * altered text would be stored). A UTF-8 byte order mark is skipped. Other charsets are decoded with the
 * WHATWG decoder (fatal: a byte that is not a character of the charset is refused too).
 */
import { isUtf8 } from 'node:buffer';
import { JsonInputError } from './json-input-error.js';
import { parseStrictJson } from './strict-json-parser.js';

/** Charset labels a JSON body may name that are UTF-8. */
const UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

export class UnsupportedCharsetError extends Error {
  constructor(readonly charset: string) {
    super(`Unsupported charset "${charset.slice(0, 40)}"`);
    this.name = 'UnsupportedCharsetError';
  }
}

export function decodeJsonBytes(bytes: Uint8Array, charset = 'utf-8'): string {
  const label = charset.trim().toLowerCase();
  if (UTF8.has(label)) return decodeUtf8(bytes);
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new UnsupportedCharsetError(label);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JsonInputError(`The body is not valid ${label} text`, '$');
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = start === 0 ? bytes : bytes.subarray(start);
  if (isUtf8(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const bad = firstInvalidByte(body);
  throw new JsonInputError(
    `The body is not valid UTF-8: byte ${bad + start} (0x${(body[bad] ?? 0).toString(16).padStart(2, '0')}) does not start or continue a UTF-8 character`,
    whereIn(body, bad),
    bad + start,
  );
}

/** The path at which the valid text before byte `bad` ends (the strict parser stops there). */
function whereIn(body: Uint8Array, bad: number): string {
  const prefix = Buffer.from(body.buffer, body.byteOffset, bad).toString('utf8');
  try {
    parseStrictJson(prefix);
  } catch (error) {
    if (error instanceof JsonInputError) return error.path;
  }
  return '$';
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF). */
export function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [need, min, cp] = [3, 0x10000, c & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}
