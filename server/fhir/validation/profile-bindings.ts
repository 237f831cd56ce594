/**
 * The bindings of a profile that @medplum/core does not collect: `extensible` bindings of its elements and the
 * additional bindings (R5 `ElementDefinition.binding.additional`, carried in R4 by the cross-version extension or
 * the tools IG's `additional-binding`). A value outside an expandable value set is an error for a `required` (or
 * `maximum`) additional binding and a warning for an `extensible` one, as the Java reference validator reports
 * them. Value sets that cannot be expanded offline (value-set-index.ts) are not checked.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { ElementDefinition, Extension, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';
import { checkToken, type DeferredBinding } from './required-bindings.js';
import { expandValueSet, isKnownOffline } from './value-set-index.js';

const ADDITIONAL_BINDING_URLS = new Set([
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
  'http://hl7.org/fhir/tools/StructureDefinition/additional-binding',
]);

type Binding = { valueSet: string; strength: 'required' | 'extensible'; additional: boolean };

export function checkProfileBindings(
  resource: unknown,
  profile: StructureDefinition,
  deferred?: DeferredBinding[],
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const element of profile.snapshot?.element ?? []) {
    if (!element.path || element.id?.includes(':')) continue; // slices are matched by @medplum/core
    const bindings = bindingsOf(element);
    if (bindings.length === 0) continue;
    const path = element.path.replace(/\[x\]$/, '');
    let values: unknown[];
    try {
      values = fhirpath.evaluate(resource, path, {}, r4) as unknown[];
    } catch {
      continue;
    }
    if (values.length === 0) continue;
    for (const binding of bindings) {
      const expansion = expandValueSet(binding.valueSet);
      if (!expansion) {
        if (deferred && !isKnownOffline(binding.valueSet))
          for (const value of values)
            deferred.push({
              valueSet: binding.valueSet,
              strength: binding.strength,
              type: typeOf(value),
              value,
              path,
              ...(profile.url ? { profile: profile.url } : {}),
              additional: binding.additional,
            });
        continue;
      }
      for (const value of values) {
        const problem = checkToken({ type: typeOf(value), value }, expansion);
        if (!problem || problem.severity !== 'error') continue;
        const kind = binding.additional ? `${binding.strength} additional binding` : `${binding.strength} binding`;
        issues.push({
          severity: binding.strength === 'required' ? 'error' : 'warning',
          code: 'code-invalid',
          details: { text: `${problem.text} (${kind} to ${binding.valueSet.split('|')[0]}, profile ${profile.url})` },
          expression: [path],
        });
      }
    }
  }
  return issues;
}

function bindingsOf(element: ElementDefinition): Binding[] {
  const out: Binding[] = [];
  const binding = element.binding;
  if (!binding) return out;
  // required bindings are collected and checked by required-bindings.ts
  if (binding.strength === 'extensible' && binding.valueSet)
    out.push({ valueSet: binding.valueSet, strength: 'extensible', additional: false });
  for (const ext of binding.extension ?? []) {
    if (!ADDITIONAL_BINDING_URLS.has(ext.url)) continue;
    const purpose = part(ext, 'purpose')?.valueCode;
    const valueSet = part(ext, 'valueSet')?.valueCanonical;
    if (!valueSet || part(ext, 'usage')) continue; // a usage context narrows where it applies: not evaluated
    if (purpose === 'required' || purpose === 'maximum') out.push({ valueSet, strength: 'required', additional: true });
    else if (purpose === 'extensible') out.push({ valueSet, strength: 'extensible', additional: true });
  }
  return out;
}

function part(ext: Extension, url: string): Extension | undefined {
  return ext.extension?.find((e) => e.url === url);
}

/** The bound type of a value, from its JSON shape. */
function typeOf(value: unknown): string {
  if (typeof value === 'string') return 'code';
  if (!value || typeof value !== 'object') return 'other';
  if ('coding' in value || 'text' in value) return 'CodeableConcept';
  if ('value' in value || 'unit' in value || 'comparator' in value) return 'Quantity';
  if ('code' in value || 'system' in value) return 'Coding';
  return 'other';
}
