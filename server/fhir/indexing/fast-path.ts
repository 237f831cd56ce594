/**
 * A compiled fast path for the plain search-parameter expressions that make up most of R4
 * (`Patient.name`, `Observation.value.ofType(Quantity)`, `Patient.telecom.where(system='phone')`,
 * `Observation.subject.where(resolve() is Patient)`, unions of these): the JSON is walked directly, with
 * element types taken from the StructureDefinitions at compile time. It returns exactly what Medplum's
 * evalFhirPathTyped returns for these shapes (checked against fhirpath.js by the corpus test); anything
 * else is not compiled and goes through Medplum's engine.
 */
import { getElementDefinition } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import { splitTopLevelUnion, unwrap } from './expression-text.js';
import { numberTextOf } from '../../json/number-texts.js';

export type FastPath = (resource: object) => TypedValue[];

type Filter =
  | { kind: 'ofType'; type: string }
  | { kind: 'equals'; field: string; literal: string }
  | { kind: 'resolveIs'; type: string };

type Step = { name: string; choices: { key: string; type: string }[]; filters: Filter[] };

const IDENT = /^\.([a-z][A-Za-z0-9]*)/;
const OF_TYPE = /^(?:\.ofType\(\s*([A-Za-z]+)\s*\)|\s+as\s+([A-Za-z]+))/;
const WHERE_RESOLVE = /^\.where\(\s*\(?\s*resolve\(\)\s+is\s+([A-Z][A-Za-z]+)\s*\)?\s*\)/;
const WHERE_EQUALS = /^\.where\(\s*\(?\s*([a-z][A-Za-z0-9]*)\s*=\s*'([^'\\]*)'\s*\)?\s*\)/;

/** The fast path of `expression` for `resourceType`, or undefined when it is not a plain path expression. */
export function compileFastPath(resourceType: string, expression: string): FastPath | undefined {
  const branches: Step[][] = [];
  for (const text of splitTopLevelUnion(expression)) {
    const steps = compileBranch(resourceType, text);
    if (!steps) return undefined;
    branches.push(steps);
  }
  if (branches.length === 0) return undefined;
  if (branches.length === 1) {
    const [steps] = branches as [Step[]];
    return (resource) => walk(resource, steps);
  }
  return (resource) => branches.flatMap((steps) => walk(resource, steps));
}

function compileBranch(resourceType: string, branchText: string): Step[] | undefined {
  let rest = unwrap(branchText.trim());
  if (!rest.startsWith(resourceType)) return undefined;
  rest = rest.slice(resourceType.length);
  let typeName = resourceType;
  const steps: Step[] = [];
  while (rest.length > 0) {
    const ident = IDENT.exec(rest);
    if (!ident) return undefined;
    rest = rest.slice(ident[0].length);
    const element = getElementDefinition(typeName, ident[1]!);
    if (!element || !element.type?.length) return undefined;
    const isChoice = element.path.endsWith('[x]');
    const choices = element.type.map((t) => ({
      key: isChoice ? ident[1]! + capitalize(t.code) : ident[1]!,
      type: t.code,
    }));
    const filters: Filter[] = [];
    for (;;) {
      const ofType = OF_TYPE.exec(rest);
      const resolveIs = ofType ? null : WHERE_RESOLVE.exec(rest);
      const equals = ofType || resolveIs ? null : WHERE_EQUALS.exec(rest);
      const match = ofType ?? resolveIs ?? equals;
      if (!match) break;
      rest = rest.slice(match[0].length);
      if (ofType) filters.push({ kind: 'ofType', type: (ofType[1] ?? ofType[2])!.toLowerCase() });
      else if (resolveIs) filters.push({ kind: 'resolveIs', type: resolveIs[1]! });
      else filters.push({ kind: 'equals', field: equals![1]!, literal: equals![2]! });
    }
    steps.push({ name: ident[1]!, choices, filters });
    const remaining = filters.some((f) => f.kind === 'ofType')
      ? choices.filter((c) => filters.every((f) => f.kind !== 'ofType' || f.type === c.type.toLowerCase()))
      : choices;
    if (rest.length > 0) {
      if (remaining.length !== 1) return undefined; // navigating further needs one known type
      typeName = remaining[0]!.type;
    }
  }
  return steps.length > 0 ? steps : undefined;
}

function walk(resource: object, steps: Step[]): TypedValue[] {
  let current: TypedValue[] = [{ type: '', value: resource }];
  for (const step of steps) {
    const next: TypedValue[] = [];
    for (const { value } of current) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const object = value as Record<string, unknown>;
      for (const choice of step.choices) {
        const raw = object[choice.key];
        if (raw === undefined || raw === null) continue;
        if (Array.isArray(raw)) {
          raw.forEach((item, i) => {
            if (item !== null && item !== undefined && passes(step.filters, choice.type, item))
              next.push(typed(choice.type, item, raw, i));
          });
        } else if (passes(step.filters, choice.type, raw)) {
          next.push(typed(choice.type, raw, object, choice.key));
        }
        if (step.choices.length > 1) break; // a choice element holds one type at most
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** A TypedValue; a number read from the JSON also carries its text as written (`numberText`), when it has one. */
function typed(type: string, value: unknown, holder: object, key: string | number): TypedValue {
  if (typeof value === 'number') {
    const numberText = numberTextOf(holder, key);
    if (numberText !== undefined) return { type, value, numberText } as TypedValue;
  }
  return { type, value };
}

function passes(filters: readonly Filter[], type: string, value: unknown): boolean {
  for (const filter of filters) {
    switch (filter.kind) {
      case 'ofType':
        if (type.toLowerCase() !== filter.type) return false;
        break;
      case 'equals':
        if (
          value === null ||
          typeof value !== 'object' ||
          (value as Record<string, unknown>)[filter.field] !== filter.literal
        )
          return false;
        break;
      case 'resolveIs':
        if (resolvedType(value) !== filter.type) return false;
        break;
    }
  }
  return true;
}

/**
 * The type Medplum's offline resolve() gives a Reference (`Type/id`, `Type?query`, or type + identifier), and
 * beyond Medplum the type of an absolute RESTful URL (`[base]/Type/id`, optionally `/_history/v`): resolve() on a
 * server finds that Patient, where Medplum's would call it type `http:` (so `DocumentReference?patient=` missed
 * documents whose subject is written as the server's full URL).
 */
function resolvedType(value: unknown): string | undefined {
  if (typeof value === 'string') return typeFromReference(value);
  if (value === null || typeof value !== 'object') return undefined;
  const ref = value as {
    reference?: unknown;
    type?: unknown;
    identifier?: unknown;
    resource?: { resourceType?: unknown };
  };
  if (ref.resource && typeof ref.resource.resourceType === 'string') return ref.resource.resourceType;
  if (typeof ref.reference === 'string' && ref.reference) return typeFromReference(ref.reference);
  if (typeof ref.type === 'string' && ref.identifier) return ref.type;
  return undefined;
}

const ABSOLUTE_REST_URL =
  /^[a-z][a-z0-9+.-]*:\/\/[^?#]*\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

function typeFromReference(reference: string): string | undefined {
  const absolute = ABSOLUTE_REST_URL.exec(reference);
  if (absolute) return absolute[1];
  if (reference.includes('?')) return reference.split('?')[0];
  if (reference.includes('/')) return reference.split('/')[0];
  return undefined;
}

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}
