import { evalFhirPathTyped } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { IndexEntry } from '../index-entry.js';
import type { ComponentPlan } from '../extraction-plan.js';
import { EXTRACTORS } from './by-kind.js';
import { dedupeEntries } from '../dedupe.js';

/** Most tuples one composite value may produce (the product of its components' entries). */
export const MAX_COMPOSITE_TUPLES = 64;

/**
 * One value of a composite's base expression → its tuples: each component expression is evaluated
 * relative to that value, extracted with its own kind and code, and every combination becomes a
 * CompositeEntry (parts in component order). A component without entries yields no tuple.
 */
export function extractComposite(
  param: string,
  base: TypedValue,
  components: readonly ComponentPlan[],
  variables: Record<string, TypedValue>,
  out: IndexEntry[],
): void {
  const perComponent: IndexEntry[][] = [];
  for (const component of components) {
    const entries: IndexEntry[] = [];
    for (const value of evalFhirPathTyped(component.atom, [base], variables)) {
      EXTRACTORS[component.kind](component.code, value, entries);
    }
    if (entries.length === 0) return;
    perComponent.push(dedupeEntries(entries));
  }
  let tuples: IndexEntry[][] = [[]];
  for (const entries of perComponent) {
    const next: IndexEntry[][] = [];
    for (const tuple of tuples) {
      for (const entry of entries) {
        if (next.length >= MAX_COMPOSITE_TUPLES) break;
        next.push([...tuple, entry]);
      }
    }
    tuples = next;
  }
  for (const parts of tuples) out.push({ kind: 'composite', param, parts });
}
