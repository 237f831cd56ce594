/**
 * One `compose.include[].filter` of a value set evaluated against a code system: the codes it selects, or whether
 * one code passes it. Operators: is-a, descendent-of, is-not-a, generalizes, =, in, not-in, regex, exists; the
 * property `concept` (or `code`) means the code itself, `display` the display, anything else a concept property.
 */
import type { ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';
import type { Concept, ConceptSource } from './concept-source.js';
import { TerminologyError } from './terminology-error.js';

export async function codesOfFilter(source: ConceptSource, filter: ValueSetComposeIncludeFilter): Promise<Set<string>> {
  const { op, value } = checked(filter);
  switch (op) {
    case 'is-a':
      return (await source.lookup(value)) ? new Set([value, ...(await source.descendants(value))]) : new Set();
    case 'descendent-of':
      return new Set(await source.descendants(value));
    case 'generalizes':
      return (await source.lookup(value)) ? new Set([value, ...(await source.ancestors(value))]) : new Set();
    case 'is-not-a': {
      const out = new Set([value, ...(await source.descendants(value))]);
      return new Set((await source.all()).map((c) => c.code).filter((c) => !out.has(c)));
    }
    default: {
      const test = propertyTest(filter);
      return new Set((await source.all()).filter(test).map((c) => c.code));
    }
  }
}

/** Whether one concept of the source passes the filter (a membership check without enumerating the code system). */
export async function passesFilter(
  source: ConceptSource,
  filter: ValueSetComposeIncludeFilter,
  concept: Concept,
): Promise<boolean> {
  const { op, value } = checked(filter);
  switch (op) {
    case 'is-a':
      return concept.code === value || (await source.ancestors(concept.code)).includes(value);
    case 'descendent-of':
      return concept.code !== value && (await source.ancestors(concept.code)).includes(value);
    case 'generalizes':
      return concept.code === value || (await source.descendants(concept.code)).includes(value);
    case 'is-not-a':
      return concept.code !== value && !(await source.ancestors(concept.code)).includes(value);
    default:
      return propertyTest(filter)(concept);
  }
}

const HIERARCHY_OPS = new Set(['is-a', 'descendent-of', 'generalizes', 'is-not-a']);
const PROPERTY_OPS = new Set(['=', 'in', 'not-in', 'regex', 'exists']);

function checked(filter: ValueSetComposeIncludeFilter): { op: string; value: string } {
  const op = filter.op ?? '';
  if (!HIERARCHY_OPS.has(op) && !PROPERTY_OPS.has(op))
    throw new TerminologyError('not-supported', `Value set filter operator "${op}" is not supported`);
  if (typeof filter.value !== 'string')
    throw new TerminologyError('invalid', `Value set filter ${filter.property} ${op} has no value`);
  return { op, value: filter.value };
}

function propertyTest(filter: ValueSetComposeIncludeFilter): (c: Concept) => boolean {
  const property = filter.property ?? 'concept';
  const value = filter.value ?? '';
  const valuesOf = (c: Concept): string[] => {
    if (property === 'concept' || property === 'code') return [c.code];
    if (property === 'display') return c.display !== undefined ? [c.display] : [];
    return (c.property ?? []).filter((p) => p.code === property).map(propertyValue);
  };
  switch (filter.op) {
    case '=':
      return (c) => valuesOf(c).includes(value);
    case 'in': {
      const set = new Set(value.split(',').map((v) => v.trim()));
      return (c) => valuesOf(c).some((v) => set.has(v));
    }
    case 'not-in': {
      const set = new Set(value.split(',').map((v) => v.trim()));
      return (c) => !valuesOf(c).some((v) => set.has(v));
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${value})$`, 'u');
      } catch {
        throw new TerminologyError(
          'invalid',
          `Value set filter regex "${value.slice(0, 80)}" is not a valid expression`,
        );
      }
      return (c) => valuesOf(c).some((v) => re.test(v));
    }
    case 'exists': {
      const wanted = value !== 'false';
      return (c) => valuesOf(c).length > 0 === wanted;
    }
    default:
      throw new TerminologyError('not-supported', `Value set filter operator "${filter.op}" is not supported`);
  }
}

function propertyValue(p: NonNullable<Concept['property']>[number]): string {
  const v =
    p.valueCode ??
    p.valueString ??
    p.valueCoding?.code ??
    p.valueBoolean ??
    p.valueInteger ??
    p.valueDecimal ??
    p.valueDateTime;
  return v === undefined ? '' : String(v);
}
