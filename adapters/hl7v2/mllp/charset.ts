/**
 * Decodes a frame's bytes for a reader that must not refuse them (the peer's ACK read by the MLLP client, the text
 * handed to a handler beside the raw bytes): in the character set MSH-18 declares (parser/charset.ts: 8859/1..9,
 * 8859/15, UTF-8, UTF-16 with its byte order mark, GB 18030, BIG-5, KS X 1001), else UTF-8. Bytes that are not what
 * they claim, or a set that is not supported, are read leniently (8859 declared: latin1; else UTF-8 with U+FFFD)
 * rather than thrown: the inbound path decides on refusals itself from the raw bytes (inbound/handle-frame.ts).
 */
import { charsetFor, declaredCharset } from '../parser/charset.js';

export function decodePayload(payload: Buffer): string {
  if ((payload[0] === 0xff && payload[1] === 0xfe) || (payload[0] === 0xfe && payload[1] === 0xff)) {
    try {
      return charsetFor('UNICODE UTF-16').decode(payload);
    } catch {
      return payload.toString('utf8');
    }
  }
  const declared = declaredCharset(payload);
  try {
    return charsetFor(declared, { eightBit: true }).decode(payload);
  } catch {
    return payload.toString(/8859/.test(declared) ? 'latin1' : 'utf8');
  }
}
