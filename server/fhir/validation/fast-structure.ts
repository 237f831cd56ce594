/**
 * A fast path for the @medplum/core structure pass against a base R4 definition, for the common case of a clean
 * resource. @medplum/core's crawler visits every element of every type's schema (present or not) and resolves each
 * through the generic property getter (for choice elements, once per allowed type), which makes it the bulk of the
 * validation CPU. This walks the present JSON keys only, with per-schema tables compiled once, and mirrors
 * Medplum's checks (version 5.2.13, typeschema/validation.ts): null values, unknown and conflicting properties,
 * required elements, array/single shape, cardinality, JSON types and formats of primitives, FHIRPath invariants
 * (same engine, same variables), reference target warnings, and the values collected for required bindings (same
 * paths, same order).
 *
 * The only issue it reports itself is Medplum's warning on a reference whose target type is not allowed (which
 * includes every `urn:uuid:` reference of a transaction). Otherwise `undefined` means "not certainly clean"
 * (anything unusual: an error, a primitive extension, an empty value, slicing, fixed/pattern values, …) and the
 * caller runs @medplum/core's validator, whose result is therefore the one returned. fast-structure.test.ts checks that
 * both give identical results
 * (issues and collected values) on the Synthea corpus, the official examples and HL7's validator test cases.
 * Because it mirrors Medplum's internals, package.json pins @medplum/* exactly: an upgrade is a deliberate change
 * that reruns that test.
 */
import {
  evalFhirPathTyped,
  fhirTypeToJsType,
  getDataType,
  isValidCalendarDate,
  LRUCache,
  toTypedValue,
  tryGetDataType,
  UCUM,
  validationRegexes,
  type InternalSchemaElement,
  type InternalTypeSchema,
  type TypedValue,
} from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { CollectedToken } from './required-bindings.js';

type Constraint = NonNullable<InternalSchemaElement['constraints']>[number];
type Json = Record<string, unknown>;

/** One element of a compiled schema. */
type Element = {
  key: string;
  /** Position in the schema (Medplum visits elements in this order). */
  index: number;
  def: InternalSchemaElement;
  min: number;
  max: number;
  isArray: boolean;
  /** Slicing, fixed or pattern value, or no type: left to @medplum/core. */
  slow: boolean;
  constraints: Constraint[];
  requiredValueSet?: string;
  referenceTargets?: string[];
  referenceAllowed: boolean;
};
type Compiled = {
  /** The schema's backbone types by name (the first of a name, as Medplum's `innerTypes.find`). */
  inner: Map<string, InternalTypeSchema>;
  /** JSON property name → element and the type its value has. */
  byKey: Map<string, { element: Element; type: string }>;
  required: Element[];
  constraints: Constraint[];
  /** A schema this fast path does not model (nested element keys, ambiguous choice names): left to @medplum/core. */
  unsupported: boolean;
};

const SKIPPED_CONSTRAINTS = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const JS_TYPES = fhirTypeToJsType as Record<string, 'string' | 'number' | 'boolean'>;
const TERMINOLOGY_TYPES = new Set(['CodeableConcept', 'Coding', 'code', 'Quantity', 'string', 'uri']);
const INTEGER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt']);
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;
const BASE64_MAX_BYTES = 1024 * 1024;
const HL7_SD = 'http://hl7.org/fhir/StructureDefinition/';
const MEDPLUM_SD = 'https://medplum.com/fhir/StructureDefinition/';

/**
 * R4 invariants evaluated on nearly every resource or extension, with a condition on the JSON under which FHIRPath
 * certainly finds them true (each is otherwise evaluated as usual). They hold for JSON this walk accepts: a value it
 * would not accept (unknown or empty property, a second choice value, …) makes the walk give up anyway.
 * - dom-2/4/5: with no `contained`, every path from `contained` is empty, `.empty()` is true.
 * - ext-1: `extension.exists() != value.exists()` is true when exactly one of them is there.
 * - obs-6/7: true when the Observation has no value[x] (or no dataAbsentReason / no component).
 */
const SATISFIED_WHEN = new Map<string, (v: Json) => boolean>([
  ['contained.contained.empty()', (r) => !('contained' in r)],
  ['contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()', (r) => !('contained' in r)],
  ['contained.meta.security.empty()', (r) => !('contained' in r)],
  ['extension.exists() != value.exists()', (e) => 'extension' in e !== hasKeyStarting(e, 'value')],
  ['dataAbsentReason.empty() or value.empty()', (o) => !('dataAbsentReason' in o) || !hasKeyStarting(o, 'value')],
  [
    'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    (o) => !hasKeyStarting(o, 'value') || !('component' in o),
  ],
]);

function hasKeyStarting(obj: Json, prefix: string): boolean {
  for (const key in obj) if (key.startsWith(prefix)) return true;
  return false;
}

const compiledSchemas = new WeakMap<InternalTypeSchema, Compiled>();
const fhirPathCache = new LRUCache<Parameters<typeof evalFhirPathTyped>[0] & object>(1_000);

/** Thrown inside the walk when the resource needs @medplum/core's own validator. */
const NOT_CERTAIN = new Error('not certainly clean');
let lastReason = '';

function bail(reason: string): never {
  lastReason = reason;
  throw NOT_CERTAIN;
}

/** Why the last call of fastStructureTokens() left the resource to @medplum/core (benchmarks, tests). */
export function lastFastPathMiss(): string {
  return lastReason;
}

export type FastStructureResult = { issues: OperationOutcomeIssue[]; tokens: Record<string, CollectedToken[]> };

/**
 * @medplum/core's structure result for this resource against its base definition (reference warnings and the
 * values collected for required bindings) when it is certain to be that; `undefined` otherwise.
 */
export function fastStructure(resource: Json): FastStructureResult | undefined {
  const type = resource.resourceType;
  if (typeof type !== 'string') return undefined;
  const root = toTypedValue(resource);
  if (root.type !== type) return undefined;
  const schema = tryGetDataType(type);
  if (!schema || schema.kind !== 'resource') return undefined;
  const walk = new Walk(root);
  try {
    const rootValue = { ...root, path: schema.path };
    walk.constraints(compile(schema).constraints, rootValue, resource);
    walk.object(resource, schema, schema.path, resource);
  } catch (err) {
    if (err !== NOT_CERTAIN) lastReason = `error: ${(err as Error).message}`; // @medplum/core decides
    return undefined;
  }
  return { issues: walk.warnings, tokens: walk.tokens };
}

class Walk {
  readonly tokens: Record<string, CollectedToken[]> = {};
  readonly warnings: OperationOutcomeIssue[] = [];
  private readonly rootResource: TypedValue | undefined;

  constructor(private readonly root: TypedValue) {
    this.rootResource = isResourceObject(root.value) ? root : undefined;
  }

  /** Medplum's crawlObject + visitProperty + checkAdditionalProperties for one object. */
  object(obj: Json, schema: InternalTypeSchema, path: string, resource: Json): void {
    const compiled = compile(schema);
    if (compiled.unsupported) bail(`schema ${schema.name} not modelled`);
    const isResource = 'resourceType' in obj;
    const present: { key: string; element: Element; type: string }[] = [];
    for (const key in obj) {
      if (key === 'resourceType') continue;
      const hit = compiled.byKey.get(key);
      if (!hit) bail(`property ${key}`);
      present.push({ key, element: hit.element, type: hit.type });
    }
    if (present.length > 1) {
      present.sort((a, b) => a.element.index - b.element.index);
      present.forEach((p, i) => {
        if (present[i - 1]?.element === p.element) bail(`two values for ${p.element.key}`);
      });
    }
    for (const r of compiled.required) if (!present.some((p) => p.element === r)) bail(`missing ${r.key}`);
    if (isResource) resource = obj;
    for (const { key, element, type } of present) {
      const value = obj[key];
      if (isEmpty(value)) bail(`empty ${key}`);
      const valuePath = `${path}.${element.key}`;
      if (element.isArray !== Array.isArray(value) || element.slow) bail(`shape or slicing of ${key}`);
      const values = (element.isArray ? value : [value]) as unknown[];
      if (values.length < element.min || values.length > element.max) bail(`cardinality of ${key}`);
      const primitive = type in JS_TYPES;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === null || v === undefined || Array.isArray(v) || isEmpty(v)) bail(`empty or nested item in ${key}`);
        const typed = { type, value: v, path: element.isArray ? `${valuePath}[${i}]` : valuePath };
        this.constraints(element.constraints, typed, resource);
        if (type === 'Reference') this.checkReference(v, element, typed.path);
        if (primitive) checkPrimitive(v, type);
        else if (typeof v !== 'object') bail(`primitive where ${type} expected`);
        if (element.requiredValueSet && TERMINOLOGY_TYPES.has(type)) this.collect(element.requiredValueSet, typed);
      }
      if (primitive) continue;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as Json;
        const childPath = element.isArray ? `${valuePath}[${i}]` : valuePath;
        let childType = type;
        if ('resourceType' in v) {
          if (type !== 'Resource' || typeof v.resourceType !== 'string') bail(`resourceType inside ${type}`);
          childType = v.resourceType;
        } else if (type === 'Resource') {
          bail('resource without resourceType');
        }
        const childSchema = compiled.inner.get(childType) ?? getDataType(childType);
        // Medplum resolves child properties through the global registry: it must be the same schema.
        if (tryGetDataType(childType) !== childSchema) bail(`schema of ${childType} differs from the registry's`);
        this.object(v, childSchema, childPath, resource);
      }
    }
  }

  /** Medplum's constraintsCheck: every error-level invariant must evaluate to exactly `true`. */
  constraints(constraints: readonly Constraint[], value: TypedValue & { path: string }, resource: Json): void {
    for (const c of constraints) {
      const satisfied = typeof value.value === 'object' ? SATISFIED_WHEN.get(c.expression) : undefined;
      if (satisfied?.(value.value as Json) === true) continue;
      // New variables for each evaluation, as Medplum's isExpressionTrue does.
      const variables: Record<string, TypedValue> = {
        '%context': value,
        '%ucum': toTypedValue(UCUM),
        '%resource': toTypedValue(resource),
      };
      if (this.rootResource) variables['%rootResource'] = this.root;
      const result = evalFhirPathTyped(c.expression, [value], variables, fhirPathCache);
      if (result.length !== 1 || result[0]?.value !== true) bail(`invariant ${c.key}`);
    }
  }

  /** Medplum's referenceTypeCheck: a reference to a type the element does not allow is a warning. */
  private checkReference(value: unknown, element: Element, path: string): void {
    const target = disallowedTarget(value, element);
    if (target === undefined) return;
    this.warnings.push({
      severity: 'warning',
      code: 'structure',
      details: { text: `Invalid reference: got "${target}", expected "${element.referenceTargets!.join('", "')}"` },
      expression: [path],
    });
  }

  /** Medplum's appendToken (same de-duplication, same sharing of `url|version` lists). */
  private collect(url: string, value: CollectedToken): void {
    let tokens = this.tokens[url];
    if (!tokens) {
      for (const key of Object.keys(this.tokens)) if (key.startsWith(url + '|')) tokens = this.tokens[key];
    }
    for (const token of tokens ?? []) if (token.path === value.path) return;
    if (tokens) tokens.push(value);
    else tokens = [value];
    this.tokens[url] = tokens;
  }
}

function compile(schema: InternalTypeSchema): Compiled {
  const found = compiledSchemas.get(schema);
  if (found) return found;
  const byKey = new Map<string, { element: Element; type: string }>();
  const required: Element[] = [];
  let unsupported = false;
  const keys = Object.keys(schema.elements);
  const choiceNames = new Set(keys.filter((k) => k.endsWith('[x]')).map((k) => k.slice(0, -3)));
  Object.entries(schema.elements).forEach(([key, def], index) => {
    const types = def.type ?? [];
    const lastSegment = def.path.slice(def.path.lastIndexOf('.') + 1);
    if (key.includes('.') || lastSegment !== key) unsupported = true;
    const element: Element = {
      key,
      index,
      def,
      min: def.min,
      max: def.max,
      isArray: !!def.isArray,
      slow: !!def.slicing || !!def.fixed || !!def.pattern || types.length === 0,
      constraints: (def.constraints ?? []).filter((c) => c.severity === 'error' && !SKIPPED_CONSTRAINTS.has(c.key)),
      requiredValueSet: def.binding?.valueSet && def.binding.strength === 'required' ? def.binding.valueSet : undefined,
      referenceTargets: types.find((t) => t.code === 'Reference')?.targetProfile,
      referenceAllowed: def.path === 'AuditEvent.agent.who',
    };
    if (def.min > 0) required.push(element);
    if (key.endsWith('[x]')) {
      const base = key.slice(0, -3);
      for (const t of types) {
        const jsonKey = base + capitalize(t.code);
        // Medplum finds the choice element of a property by its first capitalised prefix: it must be this one.
        if (firstChoicePrefix(jsonKey, choiceNames) !== base) unsupported = true;
        if (!byKey.has(jsonKey)) byKey.set(jsonKey, { element, type: resolvedType(t.code, def) });
      }
    } else {
      // A plain property whose name starts like a choice element is claimed by that choice element in Medplum.
      if (firstChoicePrefix(key, choiceNames) !== undefined) unsupported = true;
      byKey.set(key, { element, type: resolvedType(types[0]?.code ?? '', def) });
    }
  });
  const inner = new Map<string, InternalTypeSchema>();
  for (const t of schema.innerTypes ?? []) if (!inner.has(t.name)) inner.set(t.name, t);
  const compiled: Compiled = {
    inner,
    byKey,
    required,
    constraints: (schema.constraints ?? []).filter((c) => c.severity === 'error' && !SKIPPED_CONSTRAINTS.has(c.key)),
    unsupported,
  };
  compiledSchemas.set(schema, compiled);
  return compiled;
}

function resolvedType(code: string, def: InternalSchemaElement): string {
  return code === 'Element' || code === 'BackboneElement' ? (def.type[0]?.code ?? code) : code;
}

/** Medplum's isChoiceOfType split: the first prefix ending before a capital letter that names a choice element. */
function firstChoicePrefix(key: string, choiceNames: ReadonlySet<string>): string | undefined {
  let prefix = '';
  for (const part of key.split(/(?=[A-Z])/g)) {
    prefix += part;
    if (choiceNames.has(prefix)) return prefix;
  }
  return undefined;
}

function capitalize(word: string): string {
  return word ? word.charAt(0).toUpperCase() + word.substring(1) : '';
}

/** Medplum's isEmpty (no `Object.keys` array for the common case of a non-empty object). */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v === '';
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.length === 0;
  if ('length' in v && (v as { length: number }).length > 0) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}

function isResourceObject(v: unknown): boolean {
  return !!v && typeof v === 'object' && 'resourceType' in v;
}

/** Medplum's referenceTypeCheck: the referenced type when it would add its "Invalid reference" warning. */
function disallowedTarget(value: unknown, element: Element): string | undefined {
  const ref = (value as { reference?: unknown }).reference;
  if (typeof ref !== 'string') return undefined;
  if (ref.startsWith('#')) return undefined;
  const target = ref.includes('?') ? ref.split('?')[0] : ref.split('/')[0];
  if (!target) return undefined;
  if (ref === 'system' && element.referenceAllowed) return undefined;
  const profiles = element.referenceTargets;
  if (!profiles) return undefined;
  for (const p of profiles) {
    if (p === `${HL7_SD}Resource` || p === HL7_SD + target || p === MEDPLUM_SD + target) return undefined;
    if (!p.startsWith(HL7_SD) && !p.startsWith(MEDPLUM_SD)) return undefined;
  }
  return target;
}

/** Medplum's validatePrimitiveType for a plain JSON primitive: any issue it would report throws. */
function checkPrimitive(value: unknown, type: string): void {
  const expected = JS_TYPES[type];
  if (typeof value !== expected) bail(`primitive ${type}`);
  if (type === 'base64Binary') {
    if (!isValidBase64Binary(value as string)) bail(`primitive ${type}`);
    const s = value as string;
    const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    if (Math.max(0, Math.floor((s.length * 3) / 4) - padding) > BASE64_MAX_BYTES) bail(`primitive ${type}`);
  } else if (expected === 'string') {
    const s = value as string;
    if (!s.trim() || s.length > 1024 * 1024) bail(`primitive ${type}`);
    const regex = validationRegexes[type];
    if (regex && !regex.exec(s)) bail(`primitive ${type}`);
    if ((type === 'date' || type === 'dateTime' || type === 'instant') && !isValidCalendarDate(s))
      bail(`primitive ${type}`);
  } else if (expected === 'number') {
    const n = value as number;
    if (Number.isNaN(n) || !Number.isFinite(n)) bail(`primitive ${type}`);
    if (INTEGER_TYPES.has(type) && !Number.isInteger(n)) bail(`primitive ${type}`);
    if (type === 'integer' && (n < INT_MIN || n > INT_MAX)) bail(`primitive ${type}`);
    if (type === 'positiveInt' && (n < 1 || n > INT_MAX)) bail(`primitive ${type}`);
    if (type === 'unsignedInt' && (n < 0 || n > INT_MAX)) bail(`primitive ${type}`);
  }
}

function isValidBase64Binary(str: string): boolean {
  if (str.length === 0) return false;
  const padding = str.endsWith('==') ? 2 : str.endsWith('=') ? 1 : 0;
  const dataLen = str.length - padding;
  if (dataLen < 0 || (padding + dataLen) % 4 !== 0) return false;
  return /^[A-Za-z\d+/]+$/.test(padding > 0 ? str.slice(0, -padding) : str);
}
