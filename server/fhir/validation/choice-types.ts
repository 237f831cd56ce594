/**
 * A profile that narrows a choice element (`value[x]` to Quantity or CodeableConcept) forbids the other types;
 * @medplum/core does not check that, so each narrowed choice is checked here against the resource.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';

export function checkChoiceTypes(resource: unknown, profile: StructureDefinition): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const element of profile.snapshot?.element ?? []) {
    const path = element.path ?? '';
    if (!path.endsWith('[x]') || element.id?.includes(':') || !element.type?.length) continue;
    const allowed = new Set(element.type.map((t) => t.code.toLowerCase()));
    const dot = path.lastIndexOf('.');
    const parentPath = path.slice(0, dot);
    const name = path.slice(dot + 1, -3);
    let parents: unknown[];
    try {
      parents = parentPath.includes('.') ? (fhirpath.evaluate(resource, parentPath, {}, r4) as unknown[]) : [resource];
    } catch {
      continue;
    }
    for (const parent of parents) {
      if (typeof parent !== 'object' || parent === null) continue;
      for (const key of Object.keys(parent)) {
        if (key.length <= name.length || !key.startsWith(name) || !/[A-Z]/.test(key.charAt(name.length))) continue;
        const type = key.slice(name.length);
        if (!allowed.has(type.toLowerCase())) {
          issues.push({
            severity: 'error',
            code: 'structure',
            details: {
              text: `${path} allows ${element.type.map((t) => t.code).join(', ')} but found ${type} (profile ${profile.url})`,
            },
            expression: [`${parentPath}.${key}`],
          });
        }
      }
    }
  }
  return issues;
}
