/**
 * The one interpreter of the mapping data: a parsed message → a FHIR transaction Bundle. The template for the
 * message's event lists entries (segment → resource via a segment map); each entry's field rules are applied
 * with the closed set of transforms; identities make the writes idempotent (conditional update / stable ids).
 */
import type { Bundle, BundleEntry, Reference, Resource } from '@medplum/fhirtypes';
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import type { CodeTables } from './code-tables.js';
import type { MappingSet } from './load-mappings.js';
import type { EntrySpec, FieldRuleSpec, SegmentMapSpec } from './mapping-spec.js';
import { MappingError } from './mapping-error.js';
import { compact, DEFAULT_OPTIONS, type MappingOptions, type TransformContext } from './transform-context.js';
import { holds, parseFieldPath, valuesOf } from './field-values.js';
import { parentOf, related } from './segment-scope.js';
import { applyTransform } from './transforms.js';
import { setPath } from './path-set.js';
import { resolveIdentity, stableUuid, type Identity } from './identity.js';
import { mergePatientEntry } from './merge-patient.js';

interface Pending {
  readonly entry: EntrySpec;
  readonly map: SegmentMapSpec;
  readonly segment: Segment;
  readonly fullUrl: string;
  resource: Record<string, unknown>;
  identity?: Identity;
}

export interface MapResult {
  readonly bundle: Bundle;
  readonly template: string;
  /** Values that were malformed but not essential: dropped, reported as ERR severity W in the AA. */
  readonly warnings: readonly MappingError[];
}

export function templateFor(msg: Hl7Message, mappings: MappingSet): string {
  const { code, event } = msg.messageType;
  const name = mappings.messages.events[`${code}^${event}`];
  if (name) return name;
  const known = Object.keys(mappings.messages.events).some((k) => k.startsWith(`${code}^`));
  throw new MappingError(
    known ? `event ${code}^${event} is not supported` : `message type ${code || '(none)'} is not supported`,
    known ? '201' : '200',
    { segment: 'MSH', sequence: 1, field: 9 },
  );
}

export function mapMessage(
  msg: Hl7Message,
  mappings: MappingSet,
  tables: CodeTables,
  options: MappingOptions = DEFAULT_OPTIONS,
): MapResult {
  const template = templateFor(msg, mappings);
  const spec = mappings.messages.templates[template]!;
  const ctxFor = (segment: Segment, field: number, component?: number, table?: string): TransformContext => ({
    msg,
    tables,
    options,
    segment,
    field,
    ...(component ? { component } : {}),
    ...(table ? { table } : {}),
  });

  // 1. One pending resource per (entry, segment occurrence).
  const pending: Pending[] = [];
  const warnings: MappingError[] = [];
  spec.entries.forEach((entry, entryIndex) => {
    const map = mappings.segments.get(entry.map)!;
    const found = entry.repeat ? msg.all(entry.segment) : msg.all(entry.segment).slice(0, 1);
    const segments = found.filter((s) => holds(msg, s, entry.when));
    if (entry.required && found.length === 0) {
      throw new MappingError(`${template} requires a ${entry.segment} segment`, '100', { segment: entry.segment });
    }
    for (const segment of segments) {
      const fullUrl = `urn:uuid:${stableUuid(msg.sender, msg.controlId, String(entryIndex), String(segment.index))}`;
      pending.push({ entry, map, segment, fullUrl, resource: { resourceType: map.resource } });
    }
  });

  // 2. Field rules.
  const refTo = (p: Pending): Reference => ({ reference: p.fullUrl });
  for (const p of pending) {
    for (const rule of [...p.map.fields, ...(p.entry.fields ?? [])]) applyRule(p, rule);
    p.identity = resolveIdentity(p.entry.identity ?? p.map.identity ?? [], p.map.resource, msg, p.segment, (s, f) =>
      ctxFor(s, f),
    );
  }

  function applyRule(p: Pending, rule: FieldRuleSpec): void {
    if (!holds(msg, p.segment, rule.when)) return;
    if (rule.value !== undefined) {
      setPath(p.resource, rule.path, structuredClone(rule.value), rule.orElse);
      return;
    }
    if (rule.ref !== undefined) {
      const candidates = pending.filter((q) => q.entry.as === rule.ref);
      const target =
        candidates.length <= 1
          ? candidates[0]
          : candidates.find((q) => q.segment === related(msg, p.segment, q.segment.name));
      if (target && target !== p) setPath(p.resource, rule.path, refTo(target), rule.orElse);
      return;
    }
    if (rule.children !== undefined) {
      for (const q of pending) {
        if (rule.childType && q.map.resource !== rule.childType) continue;
        if (q.segment.name === rule.children && parentOf(msg, q.segment, p.segment.name) === p.segment)
          setPath(p.resource, rule.path, refTo(q));
      }
      return;
    }
    const ref = parseFieldPath(rule.from!);
    const values = valuesOf(msg, p.segment, rule.from!, {
      ...(rule.repeat ? { repeat: true } : {}),
      ...(rule.following ? { following: rule.following } : {}),
      ...(rule.within ? { within: rule.within } : {}),
    });
    let written = false;
    for (const v of values) {
      let out: unknown;
      try {
        out = applyTransform(rule.type ?? 'string', ctxFor(v.segment, ref.field, ref.component, rule.table), v.value);
      } catch (err) {
        // A value too long to store (104) is real content: never dropped with a warning, the message is refused.
        if (!(err instanceof MappingError) || rule.strict || rule.required || err.code === '104') throw err;
        warnings.push(err);
        continue;
      }
      written = setPath(p.resource, rule.path, out, rule.orElse) || written;
    }
    if (rule.required && !written && !(rule.orElse && values.length === 0 && hasValue(p.resource, rule.path))) {
      const seg = related(msg, p.segment, ref.segment);
      throw new MappingError(`${rule.from} is required (${p.map.resource}.${rule.path})`, '101', {
        segment: ref.segment,
        ...(seg ? { sequence: seg.index } : {}),
        field: ref.field,
      });
    }
  }

  // 3. Two segments that name the same resource (an order repeated per OBR, the same diagnosis twice) become
  //    one entry: the first wins, references to the others are pointed at it.
  const aliases = dedupe(pending);

  // 4. Merges (A40) add a link to the survivor before it is written.
  const mergeEntries = new Map<Pending, BundleEntry[]>();
  for (const p of pending.filter((x) => x.entry.action === 'merge-patient')) {
    const target = pending.find((q) => q.entry.as === (p.entry.target ?? 'patient'));
    if (!target) throw new MappingError('merge: no surviving patient (PID)', '100', { segment: 'PID' });
    if (p.identity?.kind !== 'conditional') {
      throw new MappingError('merge: MRG-1 (prior patient identifier) is required', '101', {
        segment: 'MRG',
        sequence: p.segment.index,
        field: 1,
      });
    }
    mergeEntries.set(p, mergePatientEntry(p.identity, target.resource, target.fullUrl, p.fullUrl));
  }

  // 5. Bundle entries.
  const entries: BundleEntry[] = [];
  for (const p of pending) {
    if (aliases.has(p.fullUrl)) continue;
    const merged = mergeEntries.get(p);
    if (merged) {
      entries.push(...merged);
      continue;
    }
    const compacted = (compact(p.resource) ?? { resourceType: p.map.resource }) as Resource & Record<string, unknown>;
    // meta.source names the message a version came from (and lets outbound feeds skip echoes to the sender).
    const resource = {
      ...compacted,
      meta: { ...compacted.meta, source: messageSource(msg) },
    } as Resource & Record<string, unknown>;
    const type = p.map.resource;
    const identity = p.identity ?? { kind: 'create' as const };
    switch (identity.kind) {
      case 'conditional':
        entries.push({ fullUrl: p.fullUrl, resource, request: { method: 'PUT', url: `${type}?${identity.query}` } });
        break;
      case 'id':
        entries.push({
          fullUrl: p.fullUrl,
          resource: { ...resource, id: identity.id },
          request: { method: 'PUT', url: `${type}/${identity.id}` },
        });
        break;
      case 'create':
        entries.push({ fullUrl: p.fullUrl, resource, request: { method: 'POST', url: type } });
        break;
      default: {
        const never: never = identity;
        throw new Error(`unknown identity ${String(never)}`);
      }
    }
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
  return { template, warnings, bundle: aliases.size ? pointReferences(bundle, aliases) : bundle };
}

/** `urn:nilecare:hl7v2:<MSH-3>:<MSH-4>#<MSH-10>` */
export function messageSource(msg: Hl7Message): string {
  const part = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `urn:nilecare:hl7v2:${part(msg.get('MSH-3'))}:${part(msg.get('MSH-4'))}#${part(msg.controlId)}`;
}

function identityKey(p: Pending): string | undefined {
  const i = p.identity;
  if (!i || i.kind === 'create') return undefined;
  return `${p.map.resource}|${i.kind === 'id' ? i.id : i.query}|${p.entry.action ?? 'upsert'}`;
}

function dedupe(pending: readonly Pending[]): Map<string, string> {
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

function pointReferences(bundle: Bundle, aliases: Map<string, string>): Bundle {
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

function hasValue(resource: Record<string, unknown>, path: string): boolean {
  const head = path.split(/[.[]/)[0]!;
  return resource[head] !== undefined || Object.keys(resource).some((k) => k.startsWith(head.replace('[x]', '')));
}
