/**
 * Which segment a rule means when it names another segment type, by the message's abstract structure
 * (segment-groups.ts): the one in the current segment's group or enclosing groups (ORC → its OBR, OBX → its OBR,
 * RXA → its ORC, anything → MSH / PID). Messages whose structure is not known fall back to position: the first
 * one after the current segment and before the next segment of the current type, else the nearest one before.
 * Also: the run of segments right after the current one (NTE notes), a segment's parent, a group's segments.
 */
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import { loadStructures } from './message-structure.js';
import { placeSegments, relatedIn, subtree, type SegmentGroups } from './segment-groups.js';

const placed = new WeakMap<Hl7Message, SegmentGroups | null>();

/** The message's segments in its structure: MSH-9.3 when it names a known one, else the event's (table 0354). */
export function groupsOf(msg: Hl7Message): SegmentGroups | undefined {
  let groups = placed.get(msg);
  if (groups === undefined) {
    const { byName, byEvent } = loadStructures();
    const t = msg.messageType;
    const name = byName.has(t.structure) ? t.structure : byEvent.get(`${t.code}^${t.event}`);
    const structure = name ? byName.get(name) : undefined;
    groups = structure ? placeSegments(msg, structure) : null;
    placed.set(msg, groups);
  }
  return groups ?? undefined;
}

export function related(msg: Hl7Message, current: Segment, name: string): Segment | undefined {
  if (name === current.name) return current;
  const groups = groupsOf(msg);
  if (groups) return relatedIn(groups, current, name);
  const segs = msg.segments;
  const at = current.index - 1;
  for (let i = at + 1; i < segs.length && segs[i]!.name !== current.name; i++)
    if (segs[i]!.name === name) return segs[i];
  for (let i = at - 1; i >= 0; i--) if (segs[i]!.name === name) return segs[i];
  return undefined;
}

/**
 * Segments of type `name` directly following the current one (stops at the first other segment). Participations
 * (PRT) attached to the current segment come before its notes and document header (v2.7+: OBX [{PRT}] [{NTE}];
 * OBX [{PRT}] TXA) and are stepped over.
 */
export function following(msg: Hl7Message, current: Segment, name: string): Segment[] {
  const out: Segment[] = [];
  let i = current.index;
  if (name !== 'PRT') while (i < msg.segments.length && msg.segments[i]!.name === 'PRT') i++;
  for (; i < msg.segments.length && msg.segments[i]!.name === name; i++) out.push(msg.segments[i]!);
  return out;
}

/** The segment of type `parentName` that `child` belongs to (an OBX's OBR). */
export function parentOf(msg: Hl7Message, child: Segment, parentName: string): Segment | undefined {
  if (groupsOf(msg)) return related(msg, child, parentName);
  for (let i = child.index - 2; i >= 0; i--) if (msg.segments[i]!.name === parentName) return msg.segments[i];
  return undefined;
}

/** Every segment of type `name` after the current one in its group (by position: up to the next one of its type). */
export function within(msg: Hl7Message, current: Segment, name: string): Segment[] {
  const groups = groupsOf(msg);
  const group = groups?.groupOf.get(current);
  if (group) return [...subtree(group)].filter((s) => s.name === name && s.index > current.index);
  const out: Segment[] = [];
  for (let i = current.index; i < msg.segments.length && msg.segments[i]!.name !== current.name; i++) {
    if (msg.segments[i]!.name === name) out.push(msg.segments[i]!);
  }
  return out;
}

/**
 * True when the segment is part of a group the mappings never map: the PRIOR_RESULT of an OML^O21 / OMG^O19 (the
 * previous results sent along with an order; the IG's OML_O21 map leaves them unmapped).
 */
export function inUnmappedGroup(msg: Hl7Message, segment: Segment): boolean {
  for (let g = groupsOf(msg)?.groupOf.get(segment); g; g = g.parent) if (g.node.name === 'PRIOR_RESULT') return true;
  return false;
}
