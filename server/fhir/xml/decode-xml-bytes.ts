/**
 * Bytes of an XML body → text: the charset the Content-Type names, else a UTF-16 byte order mark, else the XML
 * declaration's encoding, else UTF-8. Decoding is fatal (a byte that is no character of the charset is a 400,
 * never a silent U+FFFD); an unknown charset is UnsupportedCharsetError (415, server/http/error-response.ts).
 */
import { UnsupportedCharsetError } from '../../json/decode-json-bytes.js';
import { fhirError } from '../errors.js';

function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('latin1');
  return /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
}

export function decodeXmlBytes(bytes: Uint8Array, charset: string | undefined): string {
  let label = charset?.trim().toLowerCase();
  if (!label) {
    if (bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be';
    else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = 'utf-16le';
    else label = declaredEncoding(bytes)?.toLowerCase() ?? 'utf-8';
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new UnsupportedCharsetError(label);
  }
  try {
    return decoder.decode(bytes); // drops a BOM of the charset
  } catch {
    throw fhirError(400, 'structure', `The body is not valid ${label} text`);
  }
}
