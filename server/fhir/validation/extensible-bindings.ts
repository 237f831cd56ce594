/**
 * `extensible` bindings of the base definitions (R4 resources and data types), which @medplum/core does not
 * collect: each coded value under one is looked up in the value set's offline expansion (value-set-index.ts), and
 * one outside it is a warning ("a code should come from this value set unless it has no suitable code"), as the Java
 * reference validator reports it. Walks the resource with @medplum/core's type schemas: backbone elements, data types
 * (Identifier.type, Meta.security …) and resources nested in Bundle entries and `contained`; not extensions, not
 * References. Value sets that cannot be expanded offline are not checked. Warnings only: $validate asks for them.
 */
import { tryGetDataType } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { checkToken } from './required-bindings.js';
import { expandValueSet } from './value-set-index.js';

type Property = { name: string; type: string; valueSet?: string };
type Plan = Property[];

const plans = new Map<string, Plan | null>();
const SKIPPED = new Set(['Extension', 'Reference', 'Narrative', 'Element', 'BackboneElement']);
const BOUND = new Set(['code', 'Coding', 'CodeableConcept', 'Quantity']);
const MAX_DEPTH = 12;

export function checkExtensibleBindings(resource: Record<string, unknown>): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const type = resource.resourceType;
  if (typeof type === 'string') walk(resource, type, type, issues, 0);
  return issues;
}

function walk(value: Record<string, unknown>, type: string, path: string, out: OperationOutcomeIssue[], depth: number) {
  const plan = planOf(type);
  if (!plan || depth > MAX_DEPTH) return;
  for (const p of plan) {
    const v = value[p.name];
    if (v === undefined || v === null) continue;
    const items = Array.isArray(v) ? v : [v];
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      const at = Array.isArray(v) ? `${path}.${p.name}[${i}]` : `${path}.${p.name}`;
      if (p.valueSet) {
        const expansion = expandValueSet(p.valueSet);
        const problem = expansion && checkToken({ type: p.type, value: item }, expansion);
        if (problem?.severity === 'error')
          out.push({
            severity: 'warning',
            code: 'code-invalid',
            details: {
              text: `${problem.text} (extensible binding to ${p.valueSet.split('|')[0]}: a code should come from it unless it has no suitable code)`,
            },
            expression: [at],
          });
        continue;
      }
      if (!item || typeof item !== 'object') continue;
      const nested = p.type === 'Resource' ? (item as { resourceType?: unknown }).resourceType : p.type;
      if (typeof nested === 'string') walk(item as Record<string, unknown>, nested, at, out, depth + 1);
    }
  }
}

/** The properties of a type worth visiting: extensibly bound codes, and complex children that may hold some. */
function planOf(type: string): Plan | null {
  const cached = plans.get(type);
  if (cached !== undefined) return cached;
  plans.set(type, null); // recursive types: visited through their own plan once it is built
  const schema = tryGetDataType(type);
  if (!schema) return null;
  const plan: Plan = [];
  for (const [key, element] of Object.entries(schema.elements)) {
    if (key.includes('.') || key === 'extension' || key === 'modifierExtension') continue;
    for (const t of element.type ?? []) {
      const name = key.endsWith('[x]') ? key.slice(0, -3) + t.code[0]!.toUpperCase() + t.code.slice(1) : key;
      const binding = element.binding;
      if (binding?.strength === 'extensible' && binding.valueSet && BOUND.has(t.code)) {
        plan.push({ name, type: t.code, valueSet: binding.valueSet });
        continue;
      }
      if (SKIPPED.has(t.code) || BOUND.has(t.code) || /^[a-z]/.test(t.code)) continue;
      plan.push({ name, type: t.code });
    }
  }
  plans.set(type, plan);
  return plan;
}
