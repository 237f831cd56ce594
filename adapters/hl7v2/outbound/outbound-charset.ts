/**
 * The bytes of an outbound message in its receiver's character set (interface_configs.character_encoding, UTF-8 by
 * default), with MSH-18 naming that set (HL7 table 0211: `8859/1`, `8859/15`, `UNICODE UTF-8`, …).
 *
 * A character the receiver's set lacks (Arabic to an 8859/1 system, € to 8859/1) is refused, not escaped: `\Xhh\`
 * carries bytes *of the message's character set* (that is how this server reads it inbound, and how receivers do), so
 * no `\X…\` sequence can say "م" in an 8859/1 message; replacing it by `?` or a transliteration would alter a
 * patient's data. The refusal names the character, the field and the endpoint's set, so that the message is
 * dead-lettered at once (no retry can help) and can be retried after the endpoint's character set is changed —
 * MSH-18 and the bytes follow the endpoint's set at the time of sending.
 * Only sets that keep the MLLP framing bytes (0x0B, 0x1C, 0x0D) unambiguous are sent: ASCII, 8859/1–9, 8859/15,
 * UTF-8, GB 18030, BIG-5, KS X 1001. UTF-16/32 are refused for outbound.
 */
import iconv from 'iconv-lite';
import { encodingFor } from '../parser/charset.js';

/** A message that cannot be sent in its endpoint's character set: a permanent failure (dead letter at once). */
export class OutboundCharsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundCharsetError';
  }
}

const TABLE_0211: Record<string, string> = {
  ascii: 'ASCII',
  utf8: 'UNICODE UTF-8',
  gb18030: 'GB 18030-2000',
  big5: 'BIG-5',
  'euc-kr': 'KS X 1001',
};

/** The MSH-18 value and iconv encoding of a configured character set; throws for one that cannot be sent. */
export function outboundCharset(configured: string | undefined): { msh18: string; encoding: string } {
  const name = configured?.trim() || 'UTF-8';
  const encoding = encodingFor(name);
  const iso = encoding ? /^iso-8859-(\d+)$/.exec(encoding) : null;
  const msh18 = iso ? `8859/${iso[1]}` : encoding ? TABLE_0211[encoding] : undefined;
  if (!encoding || !msh18)
    throw new OutboundCharsetError(
      `character set ${JSON.stringify(name)} (interface_configs.character_encoding) cannot be sent over MLLP: use UTF-8, 8859/1–9, 8859/15, ASCII, GB 18030, BIG-5 or KS X 1001`,
    );
  return { msh18, encoding };
}

const FULL_UNICODE = new Set(['utf8', 'gb18030']);
const representable = new Map<string, Map<number, boolean>>();

function canEncode(cp: number, encoding: string): boolean {
  if (cp < 0x80) return true;
  if (encoding === 'ascii') return false;
  if (FULL_UNICODE.has(encoding)) return true;
  let known = representable.get(encoding);
  if (!known) representable.set(encoding, (known = new Map<number, boolean>()));
  let ok = known.get(cp);
  if (ok === undefined) {
    const ch = String.fromCodePoint(cp);
    ok = iconv.decode(iconv.encode(ch, encoding), encoding) === ch;
    known.set(cp, ok);
  }
  return ok;
}

/** `PID-5` for the character at `at` of the message text. */
function fieldAt(text: string, at: number): string {
  const start = Math.max(text.lastIndexOf('\r', at - 1) + 1, 0);
  const line = text.slice(start, at);
  const name = line.slice(0, 3);
  const separator = text[3] ?? '|';
  const count = line.split(separator).length - 1;
  return `${name}-${name === 'MSH' ? count + 1 : count}`;
}

/** MSH-18 of the message's first segment set to `value` (fields added when the MSH is shorter). */
export function withMsh18(text: string, value: string): string {
  const end = text.indexOf('\r');
  const msh = end < 0 ? text : text.slice(0, end);
  const sep = msh[3] ?? '|';
  const fields = msh.split(sep); // fields[n] = MSH-(n+1) for n ≥ 1
  while (fields.length <= 17) fields.push('');
  if (fields[17] === value) return text;
  const repetition = fields[1]?.[1] ?? '~';
  const rest = fields[17]!.split(repetition).slice(1); // alternate sets stay
  fields[17] = [value, ...rest].join(repetition);
  return fields.join(sep) + (end < 0 ? '' : text.slice(end));
}

export type WireMessage = { text: string; bytes: Buffer; msh18: string };

/** The text (MSH-18 set) and bytes to send to an endpoint whose configured set is `configured`. */
export function toWire(text: string, configured: string | undefined, endpointName = 'the endpoint'): WireMessage {
  const { msh18, encoding } = outboundCharset(configured);
  const wire = withMsh18(text, msh18);
  let i = 0;
  for (const ch of wire) {
    const cp = ch.codePointAt(0)!;
    if (!canEncode(cp, encoding))
      throw new OutboundCharsetError(
        `${fieldAt(wire, i)} holds "${ch}" (U+${cp.toString(16).toUpperCase().padStart(4, '0')}), which ${msh18} cannot represent: not sent (a \\Xhh\\ escape would carry ${msh18} bytes, not this character, and replacing it would alter the data). Set the character_encoding of ${endpointName} to a set that has it (UNICODE UTF-8) and retry the dead letter.`,
      );
    i += ch.length;
  }
  return { text: wire, bytes: iconv.encode(wire, encoding), msh18 };
}
