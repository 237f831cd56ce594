/**
 * One resource the mapping is building (a template entry applied to one segment), and what happens when two of
 * them name the same resource: one entry, references to the other pointed at it.
 */
import type { Bundle, Reference } from '@medplum/fhirtypes';
import type { Segment } from '../parser/hl7-message.js';
import type { EntrySpec, SegmentMapSpec } from './mapping-spec.js';
import type { Identity } from './identity.js';

export interface Pending {
  readonly entry: EntrySpec;
  readonly map: SegmentMapSpec;
  readonly segment: Segment;
  readonly fullUrl: string;
  resource: Record<string, unknown>;
  identity?: Identity;
}

function identityKey(p: Pending): string | undefined {
  const i = p.identity;
  if (!i || i.kind === 'create') return undefined;
  return `${p.map.resource}|${i.kind === 'id' ? i.id : i.query}|${p.entry.action ?? 'upsert'}`;
}

export function dedupe(pending: readonly Pending[]): Map<string, string> {
  const first = new Map<string, Pending>();
  const aliases = new Map<string, string>();
  for (const p of pending) {
    const key = identityKey(p);
    if (!key) continue;
    const winner = first.get(key);
    if (winner) aliases.set(p.fullUrl, winner.fullUrl);
    else first.set(key, p);
  }
  return aliases;
}

export function pointReferences(bundle: Bundle, aliases: Map<string, string>): Bundle {
  const out = relink(bundle, aliases) as Bundle;
  // A resource listing the same reference twice after the merge keeps it once.
  for (const e of out.entry ?? []) {
    const r = e.resource as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(r ?? {})) {
      if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'reference' in x)) {
        r![k] = v.filter((x, i) => v.findIndex((y) => (y as Reference).reference === (x as Reference).reference) === i);
      }
    }
  }
  return out;
}

/**
 * A JSON copy of `value` (as JSON.parse(JSON.stringify(value)) makes it) with every string that is an alias replaced.
 */
function relink(value: unknown, aliases: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return aliases.get(value) ?? value;
  if (value === null || typeof value !== 'object')
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  if (Array.isArray(value))
    return value.map((v) => (v === undefined || typeof v === 'function' ? null : relink(v, aliases)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    if (v !== undefined && typeof v !== 'function') out[k] = relink(v, aliases);
  return out;
}
