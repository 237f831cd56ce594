/**
 * Parses one HL7 v2 message. Segment terminators CR, LF and CRLF are all accepted; a UTF-8 BOM and blank lines
 * are ignored. Throws Hl7ParseError (with the segment and field when known) on anything that is not a message.
 */
import { Hl7ParseError, readDelimiters, type Delimiters } from './delimiters.js';
import { Hl7Message, type Segment, type V2Value } from './hl7-message.js';
import { encodingFor } from './charset.js';
import iconv from 'iconv-lite';

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

export function splitLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '');
}

export interface ParseOptions {
  /**
   * The character set the message was read in when MSH-18 declares none (the interface's configured one,
   * interface_configs.character_encoding): `\Xhh\` bytes are read in it too.
   */
  readonly charset?: string;
}

export function parseMessage(text: string, options: ParseOptions = {}): Hl7Message {
  if (typeof text !== 'string' || text.trim() === '') throw new Hl7ParseError('empty message', {}, '100');
  return parseLines(splitLines(text), options);
}

export function parseLines(lines: readonly string[], options: ParseOptions = {}): Hl7Message {
  const head = lines[0];
  if (!head || !head.startsWith('MSH')) {
    throw new Hl7ParseError(
      `message must start with an MSH segment, found ${JSON.stringify((head ?? '').slice(0, 3))}`,
      { segment: 'MSH', sequence: 1 },
      '100',
    );
  }
  const d = readDelimiters(head);
  const segments = joinWrappedLines(lines, d).map((line, i) => parseSegment(line, d, i + 1));
  return new Hl7Message(d, segments, hexDecoderFor(segments[0]!, options.charset));
}

/**
 * `\Xhh\` bytes are read in the character set MSH-18 declares, else in the one the message was read in (the
 * interface's), else UTF-8 (also when the set is not supported).
 */
function hexDecoderFor(msh: Segment, readIn = ''): (bytes: Buffer) => string {
  const declared = (msh.fields[18]?.[0]?.[0]?.[0] ?? '').trim() || readIn;
  const encoding = declared ? encodingFor(declared) : undefined;
  if (!encoding || encoding === 'utf8') return (b) => b.toString('utf8');
  if (encoding === 'iso-8859-1') return (b) => b.toString('latin1');
  return (b) => iconv.decode(b, encoding);
}

/**
 * Some senders hard-wrap long segments. A line that cannot start a segment (it does not begin with a letter-led
 * id followed by the field separator) continues the previous one. `PIDX|…` still starts a (bad) segment.
 */
function joinWrappedLines(lines: readonly string[], d: Delimiters): string[] {
  const out: string[] = [];
  const sep = d.field;
  for (const line of lines) {
    const id = line.split(sep, 1)[0]!;
    const startsSegment = /^[A-Z][A-Z0-9]*$/.test(id) && (line.length === id.length || line[id.length] === sep);
    if (!startsSegment && out.length > 0) out[out.length - 1] += line;
    else out.push(line);
  }
  return out;
}

export function parseSegment(line: string, d: Delimiters, index: number): Segment {
  const parts = line.split(d.field);
  const name = parts[0]!;
  if (!SEGMENT_NAME.test(name)) {
    throw new Hl7ParseError(
      `segment ${index} has an invalid segment id ${JSON.stringify(name.slice(0, 10))}`,
      { segment: name.slice(0, 3), sequence: index },
      '100',
    );
  }
  const isHeader = name === 'MSH' || name === 'FHS' || name === 'BHS';
  const fields: V2Value[][] = [[]];
  if (isHeader) {
    fields.push([[[d.field]]]);
    fields.push([[[parts[1] ?? '']]]);
    for (const raw of parts.slice(2)) fields.push(parseField(raw, d));
  } else {
    for (const raw of parts.slice(1)) fields.push(parseField(raw, d));
  }
  return { name, fields, index };
}

function parseField(raw: string, d: Delimiters): V2Value[] {
  if (raw === '') return [];
  return raw.split(d.repetition).map((rep) => rep.split(d.component).map((c) => c.split(d.subcomponent)));
}
