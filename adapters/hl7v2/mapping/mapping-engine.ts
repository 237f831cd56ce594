/**
 * The one interpreter of the mapping data: a parsed message → a FHIR transaction Bundle. The template for the
 * message's event lists entries (segment → resource via a segment map); each entry's field rules are applied
 * with the closed set of transforms; identities make the writes idempotent (conditional update / stable ids).
 */
import type { Bundle, BundleEntry, Reference, Resource } from '@medplum/fhirtypes';
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import type { CodeTables } from './code-tables.js';
import type { MappingSet } from './load-mappings.js';
import type { FieldRuleSpec } from './mapping-spec.js';
import { MappingError } from './mapping-error.js';
import { compact, DEFAULT_OPTIONS, type MappingOptions, type TransformContext } from './transform-context.js';
import { holds, parseFieldPath, valuesOf } from './field-values.js';
import { inUnmappedGroup, parentOf, related } from './segment-scope.js';
import { applyTransform } from './transforms.js';
import { setPath } from './path-set.js';
import { resolveIdentity, stableUuid } from './identity.js';
import { mergePatientEntry } from './merge-patient.js';
import { dedupe, pointReferences, type Pending } from './pending-entry.js';

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

type ContextFor = (segment: Segment, field: number, component?: number, table?: string) => TransformContext;

/** What the field rules of one message read and write besides the resource: the other entries, warnings. */
interface RuleScope {
  readonly msg: Hl7Message;
  readonly pending: readonly Pending[];
  readonly ctxFor: ContextFor;
  readonly warnings: MappingError[];
}

export function mapMessage(
  msg: Hl7Message,
  mappings: MappingSet,
  tables: CodeTables,
  options: MappingOptions = DEFAULT_OPTIONS,
): MapResult {
  const template = templateFor(msg, mappings);
  const ctxFor: ContextFor = (segment, field, component, table) => ({
    msg,
    tables,
    options,
    segment,
    field,
    ...(component ? { component } : {}),
    ...(table ? { table } : {}),
  });
  const pending = pendingEntries(msg, mappings, template);
  const warnings: MappingError[] = [];
  applyFieldRules({ msg, pending, ctxFor, warnings });
  // Two segments that name the same resource (an order repeated per OBR, the same diagnosis twice) become one
  // entry: the first wins, references to the others are pointed at it.
  const aliases = dedupe(pending);
  const entries = bundleEntries(msg, pending, aliases, mergeLinks(pending));
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: entries };
  return { template, warnings, bundle: aliases.size ? pointReferences(bundle, aliases) : bundle };
}

/** Step 1: one pending resource per (template entry, segment occurrence that meets its condition). */
function pendingEntries(msg: Hl7Message, mappings: MappingSet, template: string): Pending[] {
  const pending: Pending[] = [];
  mappings.messages.templates[template]!.entries.forEach((entry, entryIndex) => {
    const map = mappings.segments.get(entry.map)!;
    const all = msg.all(entry.segment).filter((s) => !inUnmappedGroup(msg, s));
    const found = entry.repeat ? all : all.slice(0, 1);
    if (entry.required && found.length === 0) {
      throw new MappingError(`${template} requires a ${entry.segment} segment`, '100', { segment: entry.segment });
    }
    for (const segment of found.filter((s) => holds(msg, s, entry.when))) {
      const fullUrl = `urn:uuid:${stableUuid(msg.sender, msg.controlId, String(entryIndex), String(segment.index))}`;
      pending.push({ entry, map, segment, fullUrl, resource: { resourceType: map.resource } });
    }
  });
  return pending;
}

/** Step 2: each pending resource's field rules (segment map, then the template entry's own), then its identity. */
function applyFieldRules(scope: RuleScope): void {
  for (const p of scope.pending) {
    for (const rule of [...p.map.fields, ...(p.entry.fields ?? [])]) applyRule(scope, p, rule);
    p.identity = resolveIdentity(
      p.entry.identity ?? p.map.identity ?? [],
      p.map.resource,
      scope.msg,
      p.segment,
      (s, f) => scope.ctxFor(s, f),
    );
  }
}

const refTo = (p: Pending): Reference => ({ reference: p.fullUrl });

function applyRule(scope: RuleScope, p: Pending, rule: FieldRuleSpec): void {
  const { msg, pending } = scope;
  if (!holds(msg, p.segment, rule.when)) return;
  if (rule.value !== undefined) {
    setPath(p.resource, rule.path, copyValue(rule.value), rule.orElse);
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
  applyFieldValues(scope, p, rule);
}

/** A rule that copies a field: each value through its transform; malformed optional values become warnings. */
function applyFieldValues(scope: RuleScope, p: Pending, rule: FieldRuleSpec): void {
  const { msg } = scope;
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
      out = applyTransform(
        rule.type ?? 'string',
        scope.ctxFor(v.segment, ref.field, ref.component, rule.table),
        v.value,
      );
    } catch (err) {
      // A value too long to store (104) is real content: never dropped with a warning, the message is refused.
      if (!(err instanceof MappingError) || rule.strict || rule.required || err.code === '104') throw err;
      scope.warnings.push(err);
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

/** Step 3: merges (A40) add a link to the survivor before it is written. */
function mergeLinks(pending: readonly Pending[]): Map<Pending, BundleEntry[]> {
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
  return mergeEntries;
}

/** Step 4: the bundle entries, each written by its identity (conditional PUT, PUT to a derived id, or POST). */
function bundleEntries(
  msg: Hl7Message,
  pending: readonly Pending[],
  aliases: ReadonlyMap<string, string>,
  mergeEntries: ReadonlyMap<Pending, BundleEntry[]>,
): BundleEntry[] {
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
    entries.push(entryFor(p, resource));
  }
  return entries;
}

function entryFor(p: Pending, resource: Resource & Record<string, unknown>): BundleEntry {
  const type = p.map.resource;
  const identity = p.identity ?? { kind: 'create' as const };
  switch (identity.kind) {
    case 'conditional':
      return { fullUrl: p.fullUrl, resource, request: { method: 'PUT', url: `${type}?${identity.query}` } };
    case 'id':
      return {
        fullUrl: p.fullUrl,
        resource: { ...resource, id: identity.id },
        request: { method: 'PUT', url: `${type}/${identity.id}` },
      };
    case 'create':
      return { fullUrl: p.fullUrl, resource, request: { method: 'POST', url: type } };
    default: {
      const never: never = identity;
      throw new Error(`unknown identity ${String(never)}`);
    }
  }
}

/** `urn:nilecare:hl7v2:<MSH-3>:<MSH-4>#<MSH-10>` */
export function messageSource(msg: Hl7Message): string {
  const part = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `urn:nilecare:hl7v2:${part(msg.get('MSH-3'))}:${part(msg.get('MSH-4'))}#${part(msg.controlId)}`;
}

/**
 * A rule's constant value, copied so that no two resources share it: plain JSON (what mapping data holds) copied
 * directly; anything else by structuredClone (which serialises, and cost 6 % of mapping an ORU^R01 for every value).
 */
export function copyValue<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copyValue(v);
  return out as T;
}

function hasValue(resource: Record<string, unknown>, path: string): boolean {
  const head = path.split(/[.[]/)[0]!;
  return resource[head] !== undefined || Object.keys(resource).some((k) => k.startsWith(head.replace('[x]', '')));
}
