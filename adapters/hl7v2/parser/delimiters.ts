/**
 * HL7 v2 delimiters as declared in MSH-1 / MSH-2 (or FHS / BHS). Any printable non-alphanumeric characters are
 * accepted as long as they are distinct; MSH-2 may carry the v2.7 truncation character as a fifth character.
 */
export interface Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  readonly truncation?: string;
}

export const DEFAULT_DELIMITERS: Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
} as const;

export class Hl7ParseError extends Error {
  constructor(
    message: string,
    /** 1-based segment index and field number when known, for ERR segments. */
    readonly location: { segment?: string; sequence?: number; field?: number } = {},
    /** HL7 table 0357 error code. */
    readonly code: '100' | '101' | '102' | '103' | '200' | '203' | '207' = '100',
  ) {
    super(message);
    this.name = 'Hl7ParseError';
  }
}

const ALNUM = /[A-Za-z0-9\r\n]/;

/** Reads the delimiters from a header segment line (`MSH|^~\&|…`, `FHS…`, `BHS…`). */
export function readDelimiters(headerLine: string): Delimiters {
  const name = headerLine.slice(0, 3);
  if (headerLine.length < 4)
    throw new Hl7ParseError(`${name} has no field separator (MSH-1)`, { segment: name, sequence: 1, field: 1 }, '101');
  const field = headerLine[3]!;
  if (ALNUM.test(field) || field === ' ')
    throw new Hl7ParseError(
      `invalid field separator ${JSON.stringify(field)} in ${name}-1`,
      { segment: name, sequence: 1, field: 1 },
      '102',
    );
  const end = headerLine.indexOf(field, 4);
  const declared = headerLine.slice(4, end < 0 ? undefined : end);
  // Some senders double the escape character (`^~\\&`): keep the first occurrence of each character.
  const chars = [...new Set([...declared])].filter((c) => c !== field);
  if (chars.length < 2) {
    throw new Hl7ParseError(
      `${name}-2 (encoding characters) must declare at least the component and repetition separators; got ${JSON.stringify(declared)}`,
      { segment: name, sequence: 1, field: 2 },
      '101',
    );
  }
  if (chars.some((c) => ALNUM.test(c) || c === ' ')) {
    throw new Hl7ParseError(
      `${name}-2 contains an invalid delimiter ${JSON.stringify(declared)}`,
      { segment: name, sequence: 1, field: 2 },
      '102',
    );
  }
  // Old senders (v2.1–2.3 era) sometimes declare only 2 or 3 characters: fill in the standard ones left free.
  const fallback = (wanted: string, taken: string[]) => (taken.includes(wanted) ? '\u0000' : wanted);
  const [component, repetition] = chars as [string, string];
  const escape = chars[2] ?? fallback('\\', chars);
  const subcomponent = chars[3] ?? fallback('&', [...chars, escape]);
  const truncation = chars[4];
  return { field, component, repetition, escape, subcomponent, ...(truncation ? { truncation } : {}) };
}

/** The MSH-2 text for a set of delimiters. */
export function encodingCharacters(d: Delimiters): string {
  return d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
}
