/**
 * Splits a frame or file into messages: an FHS/BHS batch (trailers optional), or several MSH-started messages
 * concatenated, or a single message.
 */
import { Hl7ParseError, readDelimiters, type Delimiters } from './delimiters.js';
import { Hl7Message } from './hl7-message.js';
import { parseLines, parseSegment, splitLines } from './parse-message.js';

export interface ParsedBatch {
  /** FHS / BHS header segments when the input was a batch (used to answer with a batch ACK). */
  readonly header?: {
    delimiters: Delimiters;
    fhs?: ReturnType<typeof parseSegment>;
    bhs?: ReturnType<typeof parseSegment>;
  };
  /** Each message as its own text (CR-terminated) so that it can be logged and parsed independently. */
  readonly messages: readonly string[];
}

export function splitBatch(text: string): ParsedBatch {
  const lines = splitLines(text);
  if (lines.length === 0) throw new Hl7ParseError('empty message', {}, '100');
  const first = lines[0]!;
  let header: ParsedBatch['header'];
  if (first.startsWith('FHS') || first.startsWith('BHS')) {
    const delimiters = readDelimiters(first);
    const fhsLine = lines.find((l) => l.startsWith('FHS'));
    const bhsLine = lines.find((l) => l.startsWith('BHS'));
    header = {
      delimiters,
      ...(fhsLine ? { fhs: parseSegment(fhsLine, delimiters, 1) } : {}),
      ...(bhsLine ? { bhs: parseSegment(bhsLine, delimiters, 1) } : {}),
    };
  } else if (!first.startsWith('MSH')) {
    throw new Hl7ParseError(
      `expected MSH, FHS or BHS at the start, found ${JSON.stringify(first.slice(0, 3))}`,
      { segment: 'MSH', sequence: 1 },
      '100',
    );
  }
  const messages: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const id = line.slice(0, 3);
    if (id === 'FHS' || id === 'BHS' || id === 'BTS' || id === 'FTS') {
      if (current) messages.push(current.join('\r') + '\r');
      current = undefined;
    } else if (id === 'MSH') {
      if (current) messages.push(current.join('\r') + '\r');
      current = [line];
    } else if (current) {
      current.push(line);
    } else {
      throw new Hl7ParseError(`segment ${id} outside a message`, { segment: id }, '100');
    }
  }
  if (current) messages.push(current.join('\r') + '\r');
  return { ...(header ? { header } : {}), messages };
}

/** Parses every message of a batch (throws on the first bad one; use splitBatch + parseMessage to go one by one). */
export function parseBatch(text: string): Hl7Message[] {
  return splitBatch(text).messages.map((m) => parseLines(splitLines(m)));
}
