/**
 * The parsed form of one HL7 v2 message: segments → fields → repetitions → components → subcomponents, kept as
 * raw (escaped) text and unescaped on access. Field numbers are HL7's: MSH-1 is the field separator, MSH-2 the
 * encoding characters, so `field(msh, 9)` is the message type for MSH exactly as for any other segment.
 */
import type { Delimiters } from './delimiters.js';
import { unescapeText } from './escape.js';

/** A data value: components, each a list of subcomponents (raw). A component of a value is again a value. */
export type V2Value = readonly (readonly string[])[];

export interface Segment {
  readonly name: string;
  /** fields[n] holds the repetitions of field n (fields[0] is unused). */
  readonly fields: readonly (readonly V2Value[])[];
  /** 1-based position of the segment in its message. */
  readonly index: number;
}

export class Hl7Message {
  constructor(
    readonly delimiters: Delimiters,
    readonly segments: readonly Segment[],
    /** Decodes `\Xhh…\` escapes: the bytes in the message's character set (MSH-18; UTF-8 when none). */
    readonly hexDecoder: (bytes: Buffer) => string = (b) => b.toString('utf8'),
  ) {}

  get msh(): Segment {
    return this.segments[0]!;
  }

  /** All segments with the given name, in order. */
  all(name: string): Segment[] {
    return this.segments.filter((s) => s.name === name);
  }

  first(name: string): Segment | undefined {
    return this.segments.find((s) => s.name === name);
  }

  /** Unescaped text at `SEG-f.c.s` of the first such segment (first repetition), '' when absent. */
  get(path: string): string {
    const m = /^([A-Z0-9]{3})-(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(path);
    if (!m) throw new Error(`bad HL7 path ${path}`);
    const seg = this.first(m[1]!);
    if (!seg) return '';
    return this.text(fieldRep(seg, Number(m[2])), Number(m[3] ?? 1), Number(m[4] ?? 1));
  }

  text(value: V2Value | undefined, component = 1, sub = 1): string {
    return unescapeText(value?.[component - 1]?.[sub - 1] ?? '', this.delimiters, this.hexDecoder);
  }

  /**
   * The whole of a field's first repetition as text: components joined with `^`, subcomponents with `&`, each
   * unescaped, trailing empty parts dropped (MSH-3 `LAB^1.2.3^ISO` — not only its first component).
   */
  fieldText(segment: string, n: number): string {
    const seg = this.first(segment);
    const v = seg ? fieldRep(seg, n) : undefined;
    if (!v) return '';
    const trim = (parts: string[]) => {
      let k = parts.length;
      while (k > 0 && parts[k - 1] === '') k--;
      return parts.slice(0, k);
    };
    return trim(v.map((c) => trim(c.map((s) => this.text([[s]]))).join('&'))).join('^');
  }

  /** MSH-9 as `ADT^A01^ADT_A01` parts. */
  get messageType(): { code: string; event: string; structure: string } {
    const v = fieldRep(this.msh, 9);
    return { code: this.text(v, 1), event: this.text(v, 2), structure: this.text(v, 3) };
  }

  get controlId(): string {
    return this.get('MSH-10');
  }

  get version(): string {
    return this.get('MSH-12');
  }

  /** Sending application and facility (MSH-3, MSH-4) — the scope of control ids. */
  get sender(): string {
    const app = this.get('MSH-3');
    const fac = this.get('MSH-4');
    return fac ? `${app}|${fac}` : app;
  }
}

/** Repetitions of field n of a segment (empty array when absent or empty). */
export function fieldReps(seg: Segment, n: number): readonly V2Value[] {
  const reps = seg.fields[n] ?? [];
  return reps.filter((r) => !isEmptyValue(r));
}

export function fieldRep(seg: Segment, n: number, rep = 0): V2Value | undefined {
  return seg.fields[n]?.[rep];
}

export function isEmptyValue(v: V2Value | undefined): boolean {
  return !v || v.every((c) => c.every((s) => s === '' || s === '""'));
}

/** The value of component c (1-based) of a value, its subcomponents becoming components. */
export function component(v: V2Value | undefined, c: number): V2Value {
  const comp = v?.[c - 1];
  return comp ? comp.map((s) => [s]) : [];
}
