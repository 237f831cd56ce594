/**
 * What the FHIR XML reader and writer need to know about a type, taken from the R4 StructureDefinitions loaded into
 * @medplum/core (server/fhir/definitions.ts): its elements in definition order (the order XML requires), which
 * repeat (a JSON array), which are primitives (a `value` attribute in XML; `name` plus `_name` in JSON), resources
 * (wrapped in XML: `<resource><Patient>…`) or the narrative's XHTML, and the names a choice `value[x]` takes.
 */
import { tryGetDataType, type InternalSchemaElement } from '@medplum/core';
import { loadDefinitions } from '../definitions.js';

export const FHIR_NS = 'http://hl7.org/fhir';
export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

export type ValueKind = 'primitive' | 'complex' | 'resource' | 'xhtml';

/** How a primitive's value is written in JSON: true/false, a number, or a string. */
export type JsonValueKind = 'boolean' | 'integer' | 'decimal' | 'string';

export type ChildElement = {
  /** The name in XML and JSON (`valueQuantity` for `value[x]`). */
  name: string;
  /** The FHIR type code (`string`, `Quantity`, `PatientContact`, `Resource`, …). */
  typeCode: string;
  kind: ValueKind;
  json: JsonValueKind;
  isArray: boolean;
};

export type TypeInfo = {
  name: string;
  isResource: boolean;
  /** Elements in definition order; a choice element lists one entry per type it allows. */
  order: ChildElement[][];
  byName: Map<string, ChildElement>;
};

const cache = new Map<string, TypeInfo>();

const JSON_KINDS: Record<string, JsonValueKind> = {
  boolean: 'boolean',
  integer: 'integer',
  positiveInt: 'integer',
  unsignedInt: 'integer',
  integer64: 'decimal', // R5; not in R4's definitions, here for completeness
  decimal: 'decimal',
};

function kindOf(typeCode: string): ValueKind {
  if (typeCode === 'xhtml') return 'xhtml';
  if (typeCode === 'Resource' || typeCode === 'DomainResource') return 'resource';
  return tryGetDataType(typeCode)?.kind === 'primitive-type' ? 'primitive' : 'complex';
}

function child(name: string, typeCode: string, element: InternalSchemaElement): ChildElement {
  return {
    name,
    typeCode,
    kind: kindOf(typeCode),
    json: JSON_KINDS[typeCode] ?? 'string',
    isArray: element.isArray === true || element.max > 1,
  };
}

/** The type's elements, or undefined for a name that is no type (an unknown resource type, say). */
export function typeInfo(typeName: string): TypeInfo | undefined {
  const cached = cache.get(typeName);
  if (cached) return cached;
  loadDefinitions();
  const schema = tryGetDataType(typeName);
  if (!schema) return undefined;
  const order: ChildElement[][] = [];
  const byName = new Map<string, ChildElement>();
  for (const [key, element] of Object.entries(schema.elements)) {
    if (key.includes('.')) continue; // a profile's slice or nested path; the base type has none
    const group: ChildElement[] = [];
    if (key.endsWith('[x]')) {
      const prefix = key.slice(0, -3);
      for (const t of element.type) {
        group.push(child(prefix + t.code.charAt(0).toUpperCase() + t.code.slice(1), t.code, element));
      }
    } else {
      const code = element.type[0]?.code ?? 'Element';
      group.push(child(key, code, element));
    }
    for (const c of group) byName.set(c.name, c);
    order.push(group);
  }
  const info: TypeInfo = { name: typeName, isResource: schema.kind === 'resource', order, byName };
  cache.set(typeName, info);
  return info;
}

let resourceTypes: Set<string> | undefined;

/** True for a concrete resource type name (Patient, Bundle, …). */
export function isResourceTypeName(name: string): boolean {
  resourceTypes ??= new Set(loadDefinitions().resourceTypes);
  return resourceTypes.has(name);
}

/** The schema of a type that must exist (the definitions name it). */
export function requireTypeInfo(typeName: string): TypeInfo {
  const info = typeInfo(typeName);
  if (!info) throw new Error(`FHIR type ${typeName} is not in the loaded definitions`);
  return info;
}
