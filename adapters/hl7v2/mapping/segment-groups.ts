/**
 * A message's segments placed in its abstract structure (message-structure.ts), the way HAPI's parser does it:
 * each segment is looked for from the current position onward — a repetition of the current segment, a later
 * sibling, the start of a (new instance of a) child group — then in the enclosing groups. A segment the structure
 * does not place (Z-segments, out-of-order ones) stays in the group where it appeared. So in `ORC OBR OBX ORC OBR
 * OBX` each OBR, OBX has its own ORC, and in an OUL^R22 the ORC that follows its OBR is still that OBR's.
 */
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import { firstNames, type GroupNode, type StructureNode } from './message-structure.js';

export interface GroupInstance {
  readonly node: GroupNode;
  readonly parent?: GroupInstance;
  /** Segments and child group instances in message order. */
  readonly items: (Segment | GroupInstance)[];
  /** Index in node.children of the last child matched (-1: none yet). */
  position: number;
}

const isGroup = (x: Segment | GroupInstance): x is GroupInstance => 'node' in x;

export interface SegmentGroups {
  readonly root: GroupInstance;
  /** The group instance each segment belongs to. */
  readonly groupOf: ReadonlyMap<Segment, GroupInstance>;
}

export function placeSegments(msg: Hl7Message, structure: GroupNode): SegmentGroups {
  const root: GroupInstance = { node: structure, items: [], position: -1 };
  const groupOf = new Map<Segment, GroupInstance>();
  const firsts = new WeakMap<StructureNode, ReadonlySet<string>>();
  let current = root;
  for (const segment of msg.segments) {
    let placed: GroupInstance | undefined;
    for (let g: GroupInstance | undefined = current; g && !placed; g = g.parent) placed = placeIn(g, segment, firsts);
    const home = placed ?? current;
    if (!placed) home.items.push(segment); // not in the structure: stays where it appeared
    groupOf.set(segment, home);
    current = home;
  }
  return { root, groupOf };
}

/** Places the segment in `g` (or a new child group of it) from g's position on; the instance it went to. */
function placeIn(
  g: GroupInstance,
  segment: Segment,
  firsts: WeakMap<StructureNode, ReadonlySet<string>>,
): GroupInstance | undefined {
  const children = g.node.children;
  for (let i = Math.max(g.position, 0); i < children.length; i++) {
    const child = children[i]!;
    const again = i === g.position; // this child was matched last: only a repetition may match it again
    if (child.kind === 'segment') {
      if (!child.names.includes(segment.name)) continue;
      if (again && !child.repeat) continue;
      g.position = i;
      g.items.push(segment);
      return g;
    }
    if (again && !child.repeat) continue;
    if (!firstNames(child, firsts).has(segment.name)) continue;
    const instance: GroupInstance = { node: child, parent: g, items: [], position: -1 };
    g.items.push(instance);
    g.position = i;
    return placeIn(instance, segment, firsts);
  }
  return undefined;
}

/** Segments of an instance's own level, then of its non-repeating child groups (recursively), in order. */
function* visible(g: GroupInstance): Generator<Segment> {
  for (const x of g.items) if (!isGroup(x)) yield x;
  for (const x of g.items) if (isGroup(x) && !x.node.repeat) yield* visible(x);
}

/** Every segment in an instance's subtree, in message order. */
export function* subtree(g: GroupInstance): Generator<Segment> {
  for (const x of g.items) {
    if (isGroup(x)) yield* subtree(x);
    else yield x;
  }
}

/**
 * The segment named `name` that belongs with `current`: in its own group or a non-repeating part of it, else in
 * the enclosing groups (an OBX's OBR, an OBR's ORC, anything's PID). Never one of a sibling repetition.
 */
export function relatedIn(groups: SegmentGroups, current: Segment, name: string): Segment | undefined {
  if (name === current.name) return current;
  for (let g = groups.groupOf.get(current); g; g = g.parent) {
    const s = firstVisible(g).get(name);
    if (s) return s;
  }
  return undefined;
}

// Every field rule of every resource asks for a related segment (a few thousand asks per ORU^R01): each group
// instance's first visible segment of each name is listed once. Placement is finished before the first ask.
const firstVisibleOf = new WeakMap<GroupInstance, ReadonlyMap<string, Segment>>();

function firstVisible(g: GroupInstance): ReadonlyMap<string, Segment> {
  let byName = firstVisibleOf.get(g);
  if (!byName) {
    const found = new Map<string, Segment>();
    for (const s of visible(g)) if (!found.has(s.name)) found.set(s.name, s);
    firstVisibleOf.set(g, found);
    byName = found;
  }
  return byName;
}
