/**
 * The scope of an HL7 v2 code-table ConceptMap (code-table-maps.ts): the extension SCOPE_EXTENSION holds what the
 * scope columns of a fhir_mappings row held — `messageType` (MSH-9.1, `*` = every type), `triggerEvent`,
 * `hl7Version` (a prefix: `2.5` covers 2.5.1), `sendingApplication` / `sendingFacility` (MSH-3 / MSH-4, namespace or
 * whole field) and `priority` (lower numbers win, default 100). A map without it applies to every message.
 * `codeTableMapProblems` is the write-time check of a code-table map (answered 422 by the validation).
 */
import type { ConceptMap, Extension, OperationOutcomeIssue } from '@medplum/fhirtypes';

export const SCOPE_EXTENSION = 'https://nilecare.sd/fhir/StructureDefinition/hl7v2-code-table-scope';
/** ConceptMap.identifier.system naming an HL7 v2 code table (its value is the table name). */
export const CODE_TABLE_SYSTEM = 'https://nilecare.sd/fhir/hl7v2-code-table';

export type ScopeFields = {
  messageType: string;
  triggerEvent?: string;
  hl7Version?: string;
  sendingApplication?: string;
  sendingFacility?: string;
  priority: number;
};

const STRING_PARTS = ['messageType', 'triggerEvent', 'hl7Version', 'sendingApplication', 'sendingFacility'] as const;
const PATTERNS: Record<(typeof STRING_PARTS)[number], RegExp> = {
  messageType: /^(\*|[A-Z0-9]{3})$/,
  triggerEvent: /^[A-Z0-9]{3}$/,
  hl7Version: /^\d+(\.\d+)*$/,
  sendingApplication: /^[^|\r\n]{1,180}$/,
  sendingFacility: /^[^|\r\n]{1,180}$/,
};

/** The scope of a map carrying the extension (undefined without it; a malformed one is refused on write). */
export function scopeExtensionOf(map: ConceptMap): ScopeFields | undefined {
  const ext = (map.extension ?? []).find((e) => e.url === SCOPE_EXTENSION);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  const scope: ScopeFields = { messageType: '*', priority: Number(part('priority')?.valueInteger ?? 100) };
  for (const name of STRING_PARTS) {
    const value = part(name)?.valueString;
    if (value) scope[name] = value;
  }
  return scope;
}

/** The extension for a scope (what code-row-maps.ts writes for a moved fhir_mappings row). */
export function scopeExtension(scope: ScopeFields): Extension {
  return {
    url: SCOPE_EXTENSION,
    extension: [
      ...STRING_PARTS.flatMap((name) => (scope[name] ? [{ url: name, valueString: scope[name] }] : [])),
      { url: 'priority', valueInteger: scope.priority },
    ],
  };
}

/** Why a ConceptMap with the code-table identifier cannot be used as one (empty when it can, or is no code table). */
export function codeTableMapProblems(map: ConceptMap): OperationOutcomeIssue[] {
  // a map whose shape is wrong (not arrays where the definition has them …) is refused by the structural checks
  const arrays = (v: unknown): v is unknown[] => v === undefined || Array.isArray(v);
  if (!arrays(map.extension) || !arrays(map.group)) return [];
  if (
    !(map.group ?? []).every(
      (g) => g && arrays(g.element) && (g.element ?? []).every((e) => e && typeof e === 'object'),
    )
  )
    return [];
  if (!(map.extension ?? []).every((e) => e && typeof e === 'object' && arrays(e.extension))) return [];
  const issues: OperationOutcomeIssue[] = [];
  const error = (text: string, expression: string) =>
    issues.push({ severity: 'error', code: 'invalid', details: { text }, expression: [expression] });
  const scopes = (map.extension ?? []).map((e, i) => ({ e, i })).filter(({ e }) => e.url === SCOPE_EXTENSION);
  if (map.identifier?.system !== CODE_TABLE_SYSTEM) {
    if (scopes.length > 0) error('The HL7 v2 code-table scope needs the code-table identifier', 'ConceptMap.extension');
    return issues;
  }
  if (!map.identifier.value?.trim())
    error('A code-table ConceptMap names its table in identifier.value', 'ConceptMap.identifier.value');
  if (scopes.length > 1) error('A code-table ConceptMap has at most one scope extension', 'ConceptMap.extension');
  for (const { e, i } of scopes) {
    const at = `ConceptMap.extension[${i}]`;
    if (Object.keys(e).some((k) => k.startsWith('value'))) error('The scope extension has parts, not a value', at);
    const seen = new Set<string>();
    for (const [j, p] of (e.extension ?? []).entries()) {
      if (!p || typeof p !== 'object') continue;
      const where = `${at}.extension[${j}]`;
      if (seen.has(p.url)) error(`Scope part ${p.url} is given twice`, where);
      seen.add(p.url);
      if (p.url === 'priority') {
        if (!Number.isInteger(p.valueInteger)) error('Scope priority is a valueInteger', where);
        continue;
      }
      const name = STRING_PARTS.find((n) => n === p.url);
      if (!name) {
        error(`Unknown scope part ${p.url} (known: ${[...STRING_PARTS, 'priority'].join(', ')})`, where);
        continue;
      }
      if (typeof p.valueString !== 'string' || !PATTERNS[name].test(p.valueString))
        error(`Scope ${name} must be a valueString matching ${PATTERNS[name].source}`, where);
    }
  }
  for (const [g, group] of (map.group ?? []).entries())
    for (const [k, element] of (group.element ?? []).entries())
      if (!element.code)
        error(
          'Each element of a code-table ConceptMap has a code (the v2 code)',
          `ConceptMap.group[${g}].element[${k}]`,
        );
  return issues;
}
