/**
 * minValue[x] / maxValue[x] of a profile's elements, which @medplum/core does not check: numbers, dates and
 * times compared directly, Quantities compared by fhirpath.js with UCUM conversion (`-1 'g' >= 0 'kg'`), and a
 * Duration limit on a date meaning "no earlier than now − duration" (min) / "no later than now + duration" (max).
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { ElementDefinition, OperationOutcomeIssue, Quantity, StructureDefinition } from '@medplum/fhirtypes';
import { compareDateTimes } from './date-order.js';

type Bound = { kind: 'min' | 'max'; type: string; limit: unknown };

export function checkValueLimits(
  resource: unknown,
  profile: StructureDefinition,
  now = new Date(),
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const element of profile.snapshot?.element ?? []) {
    if (element.id?.includes(':')) continue;
    const bounds = boundsOf(element);
    if (bounds.length === 0 || !element.path) continue;
    const path = element.path.replace(/\[x\]$/, '');
    let values: unknown[];
    try {
      values = fhirpath.evaluate(resource, path, {}, r4) as unknown[];
    } catch {
      continue;
    }
    for (const value of values) {
      for (const bound of bounds) {
        const problem = violates(value, bound, now);
        if (problem)
          issues.push({
            severity: 'error',
            code: 'value',
            details: { text: `${problem} (profile ${profile.url})` },
            expression: [path],
          });
      }
    }
  }
  return issues;
}

function boundsOf(element: ElementDefinition): Bound[] {
  const out: Bound[] = [];
  for (const [key, limit] of Object.entries(element)) {
    const [, kind, type] = /^(min|max)Value([A-Z]\w*)$/.exec(key) ?? [];
    if (kind && type && limit !== undefined) out.push({ kind: kind as Bound['kind'], type, limit });
  }
  return out;
}

function violates(value: unknown, bound: Bound, now: Date): string | undefined {
  const word = bound.kind === 'min' ? 'below the minimum' : 'above the maximum';
  if (typeof value === 'number' && typeof bound.limit === 'number') {
    return (bound.kind === 'min' ? value < bound.limit : value > bound.limit)
      ? `Value ${value} is ${word} ${bound.limit}`
      : undefined;
  }
  if (typeof value === 'string' && bound.type === 'Duration') return dateAgainstDuration(value, bound, now);
  if (typeof value === 'string' && typeof bound.limit === 'string') {
    const order = compareDateTimes(value, bound.limit);
    const bad = bound.kind === 'min' ? order === 'before' : order === 'after';
    return bad ? `Value ${value} is ${word} ${bound.limit}` : undefined;
  }
  if (isQuantity(value) && isQuantity(bound.limit)) {
    const op = bound.kind === 'min' ? '>=' : '<=';
    const result = compareQuantities(value, op, bound.limit);
    return result === false ? `Value ${show(value)} is ${word} ${show(bound.limit)}` : undefined;
  }
  return undefined;
}

/** A date limited by a duration from now, e.g. birthDate with minValueDuration 100 a: not more than 100 years ago. */
function dateAgainstDuration(value: string, bound: Bound, now: Date): string | undefined {
  const duration = bound.limit as Quantity;
  const ms = durationMs(duration);
  if (ms === undefined) return undefined;
  const limit = new Date(now.getTime() + (bound.kind === 'min' ? -ms : ms)).toISOString().slice(0, 10);
  const order = compareDateTimes(value.slice(0, 10), limit);
  const bad = bound.kind === 'min' ? order === 'before' : order === 'after';
  return bad
    ? `Date ${value} is ${bound.kind === 'min' ? 'earlier' : 'later'} than ${show(duration)} ${bound.kind === 'min' ? 'before' : 'after'} now (${limit})`
    : undefined;
}

const UNIT_MS: Record<string, number> = {
  a: 365.25 * 864e5,
  mo: 30.4375 * 864e5,
  wk: 7 * 864e5,
  d: 864e5,
  h: 36e5,
  min: 6e4,
  s: 1e3,
  ms: 1,
};

function durationMs(q: Quantity): number | undefined {
  const unit = UNIT_MS[q.code ?? q.unit ?? ''];
  return typeof q.value === 'number' && unit ? q.value * unit : undefined;
}

/** fhirpath.js compares UCUM quantities with unit conversion; undefined when it cannot (incomparable units). */
function compareQuantities(a: Quantity, op: '>=' | '<=', b: Quantity): boolean | undefined {
  const literal = (q: Quantity) => `${q.value} '${String(q.code ?? q.unit ?? '1').replace(/['\\]/g, '')}'`;
  try {
    const result = fhirpath.evaluate({}, `${literal(a)} ${op} ${literal(b)}`, {}, r4) as unknown[];
    return result.length === 1 && typeof result[0] === 'boolean' ? result[0] : undefined;
  } catch {
    return undefined;
  }
}

function isQuantity(value: unknown): value is Quantity {
  return typeof value === 'object' && value !== null && typeof (value as Quantity).value === 'number';
}

function show(q: Quantity): string {
  return `${q.value} ${q.code ?? q.unit ?? ''}`.trim();
}
