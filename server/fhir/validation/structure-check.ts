/**
 * The @medplum/core pass: cardinality, JSON types, primitive formats, unknown properties, choice types,
 * slicing, fixed/pattern values and FHIRPath invariants of the base definition or of a profile. It also
 * collects every value bound to a required value set, with its path, for required-bindings.ts.
 */
import { OperationOutcomeError, validateResource as medplumValidate, type ValidatorOptions } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import type { CollectedToken } from './required-bindings.js';
import { resolveExpression, valueAtExpression } from './expression-path.js';
import { fastStructure } from './fast-structure.js';

export type StructureResult = { issues: OperationOutcomeIssue[]; tokens: Record<string, CollectedToken[]> };

/**
 * The structure pass. Against the base definition, a resource whose result fast-structure.ts is certain of skips
 * @medplum/core's crawler (same result, a fraction of the CPU); anything else is validated by @medplum/core.
 */
export function checkStructure(resource: Resource, profile?: StructureDefinition): StructureResult {
  if (!profile) {
    const fast = fastStructure(resource as unknown as Record<string, unknown>);
    if (fast) return fast;
  }
  return checkStructureWithMedplum(resource, profile);
}

/** The structure pass by @medplum/core's validator alone. */
export function checkStructureWithMedplum(resource: Resource, profile?: StructureDefinition): StructureResult {
  const tokens: Record<string, CollectedToken[]> = {};
  const options: ValidatorOptions = {
    collect: { tokens: tokens },
  };
  if (profile) options.profile = profile;
  try {
    return { issues: withoutFalsePositives(resource, medplumValidate(resource, options)), tokens };
  } catch (err) {
    if (err instanceof OperationOutcomeError)
      return { issues: withoutFalsePositives(resource, err.outcome.issue ?? []), tokens };
    // The library failed on this input (a bug on its side, or a profile it cannot read): say so, do not crash.
    const where = profile ? `profile ${profile.url}` : 'the base definition';
    return {
      issues: [
        {
          // A profile using features the library does not support is reported, not held against the resource.
          severity: profile ? 'warning' : 'error',
          code: 'processing',
          details: { text: `Could not validate against ${where}: ${(err as Error).message}` },
          expression: [resource.resourceType],
        },
      ],
      tokens,
    };
  }
}

/** R4 base64Binary allows whitespace between the 4-character groups (the spec's regex); @medplum/core does not. */
function isBase64WithWhitespace(value: string): boolean {
  const compact = value.replace(/\s+/g, '');
  return compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact);
}

function withoutFalsePositives(resource: Resource, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((issue) => {
    if (issue.details?.text !== 'Invalid base64Binary format' || !issue.expression?.[0]) return true;
    const value = valueAtExpression(resource, resolveExpression(resource, issue.expression[0]));
    return !(typeof value === 'string' && isBase64WithWhitespace(value));
  });
}
