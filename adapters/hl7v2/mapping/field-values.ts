/** Resolves a rule's `from` (SEG-f.c.s) against the current segment: the values to transform, with their location. */
import { component, type Hl7Message, type Segment, type V2Value } from '../parser/hl7-message.js';
import { following, related, within } from './segment-scope.js';
import type { ConditionSpec } from './mapping-spec.js';

export interface FieldRef {
  readonly segment: string;
  readonly field: number;
  readonly component?: number;
  readonly sub?: number;
}

// Paths come from the mapping data (a few hundred distinct ones): each is parsed once.
const parsedPaths = new Map<string, FieldRef>();

export function parseFieldPath(path: string): FieldRef {
  let ref = parsedPaths.get(path);
  if (!ref) {
    const [seg, rest] = path.split('-') as [string, string];
    const [f, c, s] = rest.split('.').map(Number);
    ref = Object.freeze({ segment: seg, field: f!, ...(c ? { component: c } : {}), ...(s ? { sub: s } : {}) });
    if (parsedPaths.size < 10_000) parsedPaths.set(path, ref);
  }
  return ref;
}

export interface LocatedValue {
  readonly segment: Segment;
  readonly value: V2Value;
}

function narrow(v: V2Value, ref: FieldRef): V2Value {
  let out = v;
  if (ref.component) out = component(out, ref.component);
  if (ref.sub) out = component(out, ref.sub);
  return out;
}

function nonEmpty(v: V2Value): boolean {
  for (const c of v) for (const s of c) if (s !== '' && s !== '""') return true;
  return false;
}

/** Values of a field path: every valued repetition (or only the first), from the related or following segments. */
export function valuesOf(
  msg: Hl7Message,
  current: Segment,
  path: string,
  opts: { repeat?: boolean; following?: string; within?: string } = {},
): LocatedValue[] {
  const ref = parseFieldPath(path);
  const out: LocatedValue[] = [];
  if (opts.following || opts.within) {
    const segments = opts.following ? following(msg, current, opts.following) : within(msg, current, opts.within!);
    for (const segment of segments) valuesIn(segment, ref, opts.repeat === true, out);
  } else {
    const segment = related(msg, current, ref.segment);
    if (segment) valuesIn(segment, ref, opts.repeat === true, out);
  }
  return out;
}

/** The valued repetitions of the field (narrowed to the component), or only the first one. */
function valuesIn(segment: Segment, ref: FieldRef, repeat: boolean, out: LocatedValue[]): void {
  for (const rep of segment.fields[ref.field] ?? []) {
    if (!rep || !nonEmpty(rep)) continue; // an empty repetition (as fieldReps)
    const value = narrow(rep, ref);
    if (!nonEmpty(value)) continue;
    out.push({ segment, value });
    if (!repeat) return;
  }
}

export function firstText(msg: Hl7Message, current: Segment, path: string): string {
  const v = valuesOf(msg, current, path)[0];
  return v ? msg.text(v.value, 1).trim() : '';
}

export function holds(msg: Hl7Message, current: Segment, cond: ConditionSpec | undefined): boolean {
  if (!cond) return true;
  if ('present' in cond) return firstText(msg, current, cond.present) !== '';
  if ('absent' in cond) return firstText(msg, current, cond.absent) === '';
  if ('in' in cond) return cond.in.includes(firstText(msg, current, cond.field));
  return !cond.notIn.includes(firstText(msg, current, cond.field));
}
