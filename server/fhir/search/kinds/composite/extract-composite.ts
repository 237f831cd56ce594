import { evalFhirPathTyped } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { IndexEntry } from '../../../indexing/index-entry.js';
import { componentFastPath, type ComponentPlan } from '../../../indexing/extraction-plan.js';
import { kindOf } from '../registry.js';
import { dedupeEntries } from '../../../indexing/dedupe.js';

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
  memo: ComponentMemo = new Map(),
): void {
  const perComponent: IndexEntry[][] = [];
  for (const component of components) {
    const entries = componentEntries(base, component, variables, memo);
    if (entries.length === 0) return;
    perComponent.push(entries);
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

/**
 * Component entries already computed for a base value during one resource's extraction: several composites
 * share components (Observation code-value-quantity / code-value-concept / … all evaluate `code`).
 */
export type ComponentMemo = Map<unknown, Map<string, IndexEntry[]>>;

function componentEntries(
  base: TypedValue,
  component: ComponentPlan,
  variables: Record<string, TypedValue>,
  memo: ComponentMemo,
): IndexEntry[] {
  const cacheable = base.value !== null && typeof base.value === 'object';
  let byComponent = cacheable ? memo.get(base.value) : undefined;
  const cached = byComponent?.get(component.key);
  if (cached) return cached;
  const entries: IndexEntry[] = [];
  const fast = componentFastPath(component, base.type);
  const values = fast && cacheable ? fast(base.value as object) : evalFhirPathTyped(component.atom, [base], variables);
  for (const value of values) {
    kindOf(component.kind).extract(component.code, value, entries);
  }
  // a token with neither system nor code (a CodeableConcept's text) cannot be matched as a composite part
  const usable = dedupeEntries(entries.filter((e) => e.kind !== 'token' || e.code !== null));
  if (cacheable) {
    if (!byComponent) memo.set(base.value, (byComponent = new Map<string, IndexEntry[]>()));
    byComponent.set(component.key, usable);
  }
  return usable;
}
