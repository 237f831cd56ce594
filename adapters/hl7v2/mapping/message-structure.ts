/**
 * Abstract message structures (mappings/structures.json) as trees. Notation: `SEG`, `[…]` optional, `{…}`
 * repeating, `(…)` a required group, `NAME:` first inside a bracket names a group, `<A|B>` a choice of segments.
 * A bracket holding one unnamed segment is that segment, optional and/or repeating; anything else is a group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAPPINGS_DIR } from './mapping-files.js';

export type StructureNode =
  | {
      readonly kind: 'segment';
      readonly names: readonly string[];
      readonly optional: boolean;
      readonly repeat: boolean;
    }
  | {
      readonly kind: 'group';
      readonly name: string;
      readonly optional: boolean;
      readonly repeat: boolean;
      readonly children: readonly StructureNode[];
    };

export type GroupNode = Extract<StructureNode, { kind: 'group' }>;

const CLOSE: Record<string, string> = { '[': ']', '{': '}', '(': ')' };

export function parseStructure(name: string, text: string): GroupNode {
  const tokens = text.match(/<[A-Z0-9|]+>|[A-Z][A-Z0-9_]*:|[A-Z][A-Z0-9]{2}|[[\]{}()]/g) ?? [];
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`structure ${name}: ${why} at token ${at} (${tokens[at] ?? 'end'})`);
  };
  function sequence(close?: string): { label?: string; items: StructureNode[] } {
    const items: StructureNode[] = [];
    let label: string | undefined;
    if (tokens[at]?.endsWith(':')) label = tokens[at++]!.slice(0, -1);
    while (at < tokens.length && tokens[at] !== close) {
      const t = tokens[at++]!;
      if (t in CLOSE) items.push(bracket(t));
      else if (t.startsWith('<'))
        items.push({ kind: 'segment', names: t.slice(1, -1).split('|'), optional: false, repeat: false });
      else if (/^[A-Z][A-Z0-9]{2}$/.test(t))
        items.push({ kind: 'segment', names: [t], optional: false, repeat: false });
      else fail(`unexpected ${t}`);
    }
    if (close && tokens[at++] !== close) fail(`missing ${close}`);
    return { ...(label ? { label } : {}), items };
  }
  function bracket(open: string): StructureNode {
    const inner = sequence(CLOSE[open]);
    const optional = open === '[';
    const repeat = open === '{';
    const only = inner.items[0];
    if (!inner.label && inner.items.length === 1 && only) {
      // `[{X}]`, `[SEG]`, `{SEG}`: the flags add up on the single item.
      return { ...only, optional: only.optional || optional, repeat: only.repeat || repeat };
    }
    return { kind: 'group', name: inner.label ?? '', optional, repeat, children: inner.items };
  }
  const root = sequence();
  if (at !== tokens.length) fail('trailing tokens');
  return { kind: 'group', name, optional: false, repeat: false, children: root.items };
}

/** Segment names a node can start with (through leading optional children). */
export function firstNames(
  node: StructureNode,
  cache = new WeakMap<StructureNode, ReadonlySet<string>>(),
): ReadonlySet<string> {
  const hit = cache.get(node);
  if (hit) return hit;
  const out = new Set<string>();
  if (node.kind === 'segment') node.names.forEach((n) => out.add(n));
  else
    for (const child of node.children) {
      firstNames(child, cache).forEach((n) => out.add(n));
      if (!child.optional) break;
    }
  cache.set(node, out);
  return out;
}

export interface Structures {
  readonly byName: ReadonlyMap<string, GroupNode>;
  /** `ADT^A04` → `ADT_A01` (HL7 table 0354). */
  readonly byEvent: ReadonlyMap<string, string>;
}

let loaded: Structures | undefined;

export function loadStructures(dir = MAPPINGS_DIR): Structures {
  if (dir === MAPPINGS_DIR && loaded) return loaded;
  const data = JSON.parse(readFileSync(join(dir, 'structures.json'), 'utf8')) as {
    structures: Record<string, string>;
    events: Record<string, string>;
  };
  const byName = new Map(Object.entries(data.structures).map(([n, t]) => [n, parseStructure(n, t)]));
  for (const [event, s] of Object.entries(data.events))
    if (!byName.has(s)) throw new Error(`structures.json: event ${event} names unknown structure ${s}`);
  const out = { byName, byEvent: new Map(Object.entries(data.events)) };
  if (dir === MAPPINGS_DIR) loaded = out;
  return out;
}
