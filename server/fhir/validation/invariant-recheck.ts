/**
 * A second opinion on failed invariants. @medplum/core evaluates FHIRPath invariants with its own engine, which
 * passes ~78% of HL7's FHIRPath tests (no `type()`, weak date and quantity comparison …); fhirpath.js passes
 * ~98%. Only the invariants Medplum reports as failed are re-evaluated here (rare, so the hot path stays fast):
 * when fhirpath.js finds the invariant satisfied, the issue is dropped.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

type Node = { data: unknown; parentResNode: Node | null };

export function withoutRefutedInvariants(root: unknown, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((issue) => !(issue.code === 'invariant' && refuted(root, issue)));
}

function refuted(root: unknown, issue: OperationOutcomeIssue): boolean {
  const expression = invariantExpression(issue);
  const location = issue.expression?.[0];
  if (!expression || !location) return false;
  try {
    const nodes = fhirpath.evaluate(root, location, {}, r4, { resolveInternalTypes: false }) as Node[];
    if (nodes.length === 0) return false;
    return nodes.every((node) => {
      const env = { resource: containingResource(node) ?? root, rootResource: root, context: node };
      const result = fhirpath.evaluate(node, expression, env as never, r4) as unknown[];
      return result.length === 1 && result[0] === true;
    });
  } catch {
    return false; // fhirpath.js cannot evaluate it either: keep Medplum's verdict
  }
}

function invariantExpression(issue: OperationOutcomeIssue): string | undefined {
  if (!issue.diagnostics) return undefined;
  try {
    const parsed = JSON.parse(issue.diagnostics) as { fhirpath?: unknown };
    return typeof parsed.fhirpath === 'string' ? parsed.fhirpath : undefined;
  } catch {
    return undefined;
  }
}

function containingResource(node: Node): unknown {
  for (let current: Node | null = node; current; current = current.parentResNode) {
    const data = current.data as { resourceType?: unknown } | null;
    if (data && typeof data === 'object' && typeof data.resourceType === 'string') return data;
  }
  return undefined;
}
