/**
 * Which segment a rule means when it names another segment type: the first one after the current segment and
 * before the next segment of the current type (ORC → its OBR), else the nearest one before (OBX → its OBR,
 * anything → MSH / PID). Also: the run of segments right after the current one (NTE notes) and parenthood.
 */
import type { Hl7Message, Segment } from '../parser/hl7-message.js';

export function related(msg: Hl7Message, current: Segment, name: string): Segment | undefined {
  if (name === current.name) return current;
  const segs = msg.segments;
  const at = current.index - 1;
  for (let i = at + 1; i < segs.length && segs[i]!.name !== current.name; i++)
    if (segs[i]!.name === name) return segs[i];
  for (let i = at - 1; i >= 0; i--) if (segs[i]!.name === name) return segs[i];
  return undefined;
}

/** Segments of type `name` directly following the current one (stops at the first other segment). */
export function following(msg: Hl7Message, current: Segment, name: string): Segment[] {
  const out: Segment[] = [];
  for (let i = current.index; i < msg.segments.length && msg.segments[i]!.name === name; i++)
    out.push(msg.segments[i]!);
  return out;
}

/** The nearest segment of type `parentName` before `child`. */
export function parentOf(msg: Hl7Message, child: Segment, parentName: string): Segment | undefined {
  for (let i = child.index - 2; i >= 0; i--) if (msg.segments[i]!.name === parentName) return msg.segments[i];
  return undefined;
}

/** Every segment of type `name` after the current one, up to the next segment of the current type. */
export function within(msg: Hl7Message, current: Segment, name: string): Segment[] {
  const out: Segment[] = [];
  for (let i = current.index; i < msg.segments.length && msg.segments[i]!.name !== current.name; i++) {
    if (msg.segments[i]!.name === name) out.push(msg.segments[i]!);
  }
  return out;
}
