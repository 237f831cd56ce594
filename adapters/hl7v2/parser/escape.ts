/**
 * HL7 v2 escape sequences (v2.x chapter 2.7): \F\ \S\ \T\ \R\ \E\ delimiters, \Xhh…\ hex data, \.br\ line
 * break, \H\ \N\ highlighting (dropped), \Cxxyy\ \Mxxyyzz\ character-set switches (dropped). Hex data is
 * decoded in the message's character set (MSH-18).
 */
import type { Delimiters } from './delimiters.js';

export function unescapeText(
  raw: string,
  d: Delimiters,
  hexDecoder: (bytes: Buffer) => string = (b) => b.toString('utf8'),
): string {
  const e = d.escape;
  if (!raw.includes(e)) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch !== e) {
      out += ch;
      i++;
      continue;
    }
    const close = raw.indexOf(e, i + 1);
    if (close < 0) {
      out += raw.slice(i); // lone escape character: keep as text
      break;
    }
    const seq = raw.slice(i + 1, close);
    const decoded = decodeSequence(seq, d, hexDecoder);
    out += decoded ?? e + seq + e;
    i = close + 1;
  }
  return out;
}

function decodeSequence(seq: string, d: Delimiters, hexDecoder: (bytes: Buffer) => string): string | undefined {
  switch (seq) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation ?? '#';
    case 'H':
    case 'N':
      return '';
    case '.br':
      return '\n';
    case '.sp':
      return '\n';
    default:
      break;
  }
  if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) return hexDecoder(Buffer.from(seq.slice(1), 'hex'));
  if (/^(C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4,6})$/.test(seq)) return '';
  if (/^\.(sp|in|ti|sk|ce|fi|nf)[+-]?\d*$/.test(seq)) return seq.startsWith('.sp') ? '\n' : '';
  return undefined;
}

/** Escapes text so that it can be placed in a field: delimiters and line breaks become escape sequences. */
export function escapeText(text: string, d: Delimiters): string {
  let out = '';
  for (const ch of text) {
    if (ch === d.escape) out += `${d.escape}E${d.escape}`;
    else if (ch === d.field) out += `${d.escape}F${d.escape}`;
    else if (ch === d.component) out += `${d.escape}S${d.escape}`;
    else if (ch === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (ch === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (d.truncation && ch === d.truncation) out += `${d.escape}P${d.escape}`;
    else if (ch === '\n') out += `${d.escape}.br${d.escape}`;
    else if (ch === '\r') out += `${d.escape}X0D${d.escape}`;
    else out += ch;
  }
  return out;
}
