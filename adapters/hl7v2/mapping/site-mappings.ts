/**
 * A site's mapping rows (nilecare_interop.fhir_mappings, direction hl7_to_fhir, active) laid over the mappings/
 * files, per message. A row applies to a message when its scope holds: message_type (`*` = any), trigger_event,
 * hl7_version (prefix: `2.5` covers 2.5.1), sending_application / sending_facility (namespace or whole field;
 * NULL = any). What a row does, by the columns it fills:
 *  - code_map: overrides rows of a code table (`definition.table`, else the row's name): `{"v2": "code"}` or
 *    `{"v2": {"code", "system", "display"}}`;
 *  - field_path + fhir_path (`Patient.telecom[]`): a field rule of the segment map `<segment>-<resource>` — it
 *    replaces the map's rules for that path (`definition.mode` = `add` appends, `drop` removes them); `transform` is
 *    the rule's type and `definition.rule` may add any other rule property (table, repeat, when, orElse, …);
 *  - definition.template: the message template for the row's message type and event (mappings/messages.json form).
 * Rows apply from higher priority numbers to lower (lower numbers win) and, within a priority, in version order.
 * A row that does not validate is skipped and reported (`problems`), never half-applied.
 */
import { z } from 'zod';
import type { Hl7Message } from '../parser/hl7-message.js';
import type { CodeOverride, CodeTables, TableCoding } from './code-tables.js';
import type { MappingSet } from './load-mappings.js';
import { FIELD_PATH, FieldRuleSpec, TemplateSpec, type SegmentMapSpec } from './mapping-spec.js';
import { TRANSFORM_NAMES } from './transforms.js';

export interface MappingRow {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  /** MSH-9.1, or `*` for every message type. */
  readonly messageType: string;
  readonly triggerEvent?: string;
  readonly hl7Version?: string;
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  readonly segment?: string;
  readonly fieldPath?: string;
  readonly fhirResourceType?: string;
  readonly fhirPath?: string;
  readonly transform?: string;
  readonly codeMap?: unknown;
  readonly definition?: unknown;
  readonly priority: number;
  /** A hash of the row's content as read (message logs fill it; retireMappingRow compares it). */
  readonly fingerprint?: string;
}

/** What a row's scope is compared with. */
export interface MessageScope {
  readonly messageType: string;
  readonly triggerEvent: string;
  readonly version: string;
  /** Whole MSH-3 / MSH-4 text (components joined with ^). */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
}

export function scopeOf(msg: Hl7Message): MessageScope {
  const t = msg.messageType;
  return {
    messageType: t.code,
    triggerEvent: t.event,
    version: msg.version,
    sendingApplication: msg.fieldText('MSH', 3),
    sendingFacility: msg.fieldText('MSH', 4),
  };
}

const namespace = (hd: string) => hd.split('^')[0]!;

export function rowApplies(row: MappingRow, s: MessageScope): boolean {
  if (row.messageType !== '*' && row.messageType !== s.messageType) return false;
  if (row.triggerEvent && row.triggerEvent !== s.triggerEvent) return false;
  if (row.hl7Version && !(s.version === row.hl7Version || s.version.startsWith(`${row.hl7Version}.`))) return false;
  const sender = (want: string | undefined, have: string) => !want || want === have || want === namespace(have);
  return sender(row.sendingApplication, s.sendingApplication) && sender(row.sendingFacility, s.sendingFacility);
}

const RowDefinition = z
  .object({
    table: z.string().optional(),
    mode: z.enum(['replace', 'add', 'drop']).optional(),
    rule: z.record(z.string(), z.unknown()).optional(),
    template: TemplateSpec.optional(),
  })
  .passthrough();

export type RowEffect =
  | { kind: 'codes'; overrides: CodeOverride[] }
  | { kind: 'field'; map: string; path: string; mode: 'replace' | 'add' | 'drop'; rule?: FieldRuleSpec }
  | { kind: 'template'; event: string; template: TemplateSpec };

/** What a row does, or why it cannot be used. */
export function rowEffect(row: MappingRow): RowEffect | { kind: 'invalid'; reason: string } {
  const def = RowDefinition.safeParse(row.definition ?? {});
  if (!def.success) return { kind: 'invalid', reason: `definition: ${def.error.issues[0]?.message}` };
  if (row.codeMap !== undefined) {
    if (!row.codeMap || typeof row.codeMap !== 'object')
      return { kind: 'invalid', reason: 'code_map is not an object' };
    const table = def.data.table ?? row.name;
    const overrides: CodeOverride[] = [];
    for (const [source, target] of Object.entries(row.codeMap as Record<string, unknown>)) {
      if (typeof target === 'string') overrides.push({ table, source, target: { code: target } });
      else if (target && typeof target === 'object' && typeof (target as TableCoding).code === 'string')
        overrides.push({ table, source, target: target as TableCoding });
      else return { kind: 'invalid', reason: `code_map entry ${source} is neither a code nor {code, system, display}` };
    }
    return { kind: 'codes', overrides };
  }
  if (def.data.template) {
    if (!row.triggerEvent || row.messageType === '*')
      return { kind: 'invalid', reason: 'a template row needs a message type and a trigger event' };
    return { kind: 'template', event: `${row.messageType}^${row.triggerEvent}`, template: def.data.template };
  }
  if (row.fhirPath) {
    const [resource, ...rest] = row.fhirPath.split('.');
    const type = row.fhirResourceType ?? resource!;
    const path = rest.join('.');
    const segment = row.segment ?? row.fieldPath?.slice(0, 3);
    if (!segment || !path)
      return { kind: 'invalid', reason: 'a field rule needs segment or field_path, and fhir_path' };
    const mode = def.data.mode ?? 'replace';
    if (mode === 'drop') return { kind: 'field', map: `${segment}-${type}`, path, mode };
    if (row.transform && !(TRANSFORM_NAMES as readonly string[]).includes(row.transform))
      return { kind: 'invalid', reason: `transform ${row.transform} is not one of the named transforms` };
    if (row.fieldPath && !FIELD_PATH.test(row.fieldPath))
      return { kind: 'invalid', reason: `field_path ${row.fieldPath} is not SEG-f[.c[.s]]` };
    const rule = FieldRuleSpec.safeParse({
      path,
      ...(row.fieldPath ? { from: row.fieldPath } : {}),
      ...(row.transform ? { type: row.transform } : {}),
      ...def.data.rule,
    });
    if (!rule.success) return { kind: 'invalid', reason: `rule: ${rule.error.issues[0]?.message}` };
    return { kind: 'field', map: `${segment}-${type}`, path, mode, rule: rule.data };
  }
  return { kind: 'invalid', reason: 'the row has no code_map, fhir_path or definition.template' };
}

/** The mapping set and code tables for one message: the defaults with the applicable rows laid over them. */
export function applyRows(
  defaults: { mappings: MappingSet; tables: CodeTables },
  effects: readonly RowEffect[],
): { mappings: MappingSet; tables: CodeTables } {
  if (effects.length === 0) return defaults;
  const overrides = effects.flatMap((e) => (e.kind === 'codes' ? e.overrides : []));
  const segments = new Map(defaults.mappings.segments);
  let messages = defaults.mappings.messages;
  for (const e of effects) {
    if (e.kind === 'field') {
      const map = segments.get(e.map);
      if (!map) continue; // a map this release does not have: nothing to change
      const kept = e.mode === 'add' ? map.fields : map.fields.filter((f) => f.path !== e.path);
      const fields = e.rule && e.mode !== 'drop' ? [...kept, e.rule] : kept;
      segments.set(e.map, { ...map, fields } satisfies SegmentMapSpec);
    } else if (e.kind === 'template') {
      const name = `site:${e.event}`;
      messages = {
        ...messages,
        events: { ...messages.events, [e.event]: name },
        templates: { ...messages.templates, [name]: e.template },
      };
    }
  }
  return {
    mappings: { messages, segments },
    tables: overrides.length ? defaults.tables.withOverrides(overrides) : defaults.tables,
  };
}
