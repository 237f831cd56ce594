/**
 * Rules on contained resources that neither library enforces: each has an id (so that it can be referenced),
 * is referenced from elsewhere in the container or refers to it (dom-3), and holds no contained resources itself
 * (dom-2, reported here with the contained resource's own location).
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

export function checkContained(
  resource: Record<string, unknown>,
  path = String(resource.resourceType),
): OperationOutcomeIssue[] {
  const contained = resource.contained;
  if (!Array.isArray(contained) || contained.length === 0) return [];
  const issues: OperationOutcomeIssue[] = [];
  const references = new Set<string>();
  collectReferences(resource, references, true);
  contained.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) return;
    const c = item as Record<string, unknown>;
    const at = `${path}.contained[${i}]`;
    if (typeof c.id !== 'string' || c.id === '') {
      issues.push(error('required', 'A contained resource must have an id', `${at}.id`));
      return;
    }
    if (Array.isArray(c.contained) && c.contained.length > 0) {
      issues.push(
        error(
          'invariant',
          'Constraint dom-2 not met: a contained resource must not contain other resources',
          `${at}.contained`,
        ),
      );
    }
    const own = new Set<string>();
    collectReferences(c, own, false);
    if (!references.has(`#${c.id}`) && !own.has('#') && !referencedByOtherContained(contained, i, `#${c.id}`)) {
      issues.push(
        error(
          'invariant',
          `Constraint dom-3 not met: contained resource "${c.id}" is not referenced from elsewhere in the resource`,
          at,
        ),
      );
    }
  });
  return issues;
}

function referencedByOtherContained(contained: unknown[], self: number, ref: string): boolean {
  return contained.some((other, j) => {
    if (j === self || typeof other !== 'object' || other === null) return false;
    const found = new Set<string>();
    collectReferences(other, found, false);
    return found.has(ref);
  });
}

/** Local references (`#id`, `#`) anywhere in the value; the container's own `contained` array is skipped on request. */
function collectReferences(value: unknown, into: Set<string>, skipContained: boolean): void {
  if (Array.isArray(value)) {
    for (const v of value) collectReferences(v, into, false);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (skipContained && key === 'contained') continue;
      if (typeof v === 'string') {
        if (v.startsWith('#')) into.add(v);
        else if (key === 'div') for (const m of v.matchAll(/href="(#[^"]*)"/g)) into.add(m[1]!); // the group always takes part
      } else {
        collectReferences(v, into, false);
      }
    }
  }
}

function error(code: OperationOutcomeIssue['code'], text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code, details: { text }, expression: [expression] };
}
