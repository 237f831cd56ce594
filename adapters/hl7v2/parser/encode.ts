/**
 * Builds HL7 v2 text from plain values, escaping every piece of text. Trailing empty fields, components and
 * subcomponents are dropped so that the output is canonical.
 */
import { DEFAULT_DELIMITERS, encodingCharacters, type Delimiters } from './delimiters.js';
import { escapeText } from './escape.js';

/** A component: text, or its subcomponents. */
export type ComponentIn = string | undefined | null | readonly (string | undefined | null)[];
/** A field: text, its components, or several repetitions. */
export type FieldIn =
  string | undefined | null | readonly ComponentIn[] | { readonly reps: readonly (string | readonly ComponentIn[])[] };

export interface SegmentIn {
  readonly name: string;
  /** fields[0] is field 1 (for MSH: MSH-3 onward — MSH-1 and MSH-2 are written from the delimiters). */
  readonly fields: readonly FieldIn[];
}

function trimEnd(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

function encodeComponents(comps: readonly ComponentIn[], d: Delimiters): string {
  return trimEnd(
    comps.map((c) =>
      c == null
        ? ''
        : typeof c === 'string'
          ? escapeText(c, d)
          : trimEnd(c.map((s) => (s == null ? '' : escapeText(s, d)))).join(d.subcomponent),
    ),
  ).join(d.component);
}

export function encodeField(f: FieldIn, d: Delimiters): string {
  if (f == null) return '';
  if (typeof f === 'string') return escapeText(f, d);
  if ('reps' in f) {
    return trimEnd(f.reps.map((r) => (typeof r === 'string' ? escapeText(r, d) : encodeComponents(r, d)))).join(
      d.repetition,
    );
  }
  return encodeComponents(f, d);
}

export function encodeSegment(s: SegmentIn, d: Delimiters): string {
  const fields = trimEnd(s.fields.map((f) => encodeField(f, d)));
  if (s.name === 'MSH' || s.name === 'FHS' || s.name === 'BHS') {
    return [s.name + d.field + encodingCharacters(d), ...fields].join(d.field);
  }
  return [s.name, ...fields].join(d.field);
}

/** A whole message, segments terminated by CR. */
export function encodeMessage(segments: readonly SegmentIn[], d: Delimiters = DEFAULT_DELIMITERS): string {
  return segments.map((s) => encodeSegment(s, d) + '\r').join('');
}

/** HL7 DTM for an instant: YYYYMMDDHHMMSS+ZZZZ in UTC. */
export function hl7Now(date = new Date()): string {
  const iso = date.toISOString();
  return iso.slice(0, 19).replace(/[-:T]/g, '') + '+0000';
}
