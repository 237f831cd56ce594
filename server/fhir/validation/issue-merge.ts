/**
 * Merging the issues of the validation passes: each reported once, at the most precise FHIRPath location.
 * Two error issues on the same element (same path once array indexes are ignored) are one problem seen by two
 * passes: the first pass's wording is kept, with the other's location when that one carries the indexes.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { expressionKey, resolveExpression } from './expression-path.js';

export class IssueList {
  readonly issues: OperationOutcomeIssue[] = [];
  private readonly errorsByKey = new Map<string, OperationOutcomeIssue>();
  private readonly seen = new Set<string>();

  constructor(private readonly root: unknown) {}

  /** Adds issues whose expressions may be imprecise (@medplum/core): they are resolved against the resource. */
  addResolved(issues: readonly OperationOutcomeIssue[]): void {
    for (const issue of issues) this.add(this.resolve(issue));
  }

  /** Adds issues whose expressions are exact (JSON pointer based). */
  addExact(issues: readonly OperationOutcomeIssue[]): void {
    for (const issue of issues) this.add(issue);
  }

  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
  }

  private add(issue: OperationOutcomeIssue): void {
    const expression = issue.expression?.[0] ?? '';
    const text = issue.details?.text ?? issue.diagnostics ?? '';
    const identity = `${issue.severity}|${expression}|${text}`;
    if (this.seen.has(identity)) return;
    this.seen.add(identity);
    if (issue.severity === 'error' || issue.severity === 'fatal') {
      const key = expressionKey(expression);
      const earlier = this.errorsByKey.get(key);
      if (earlier) {
        const earlierExpression = earlier.expression?.[0] ?? '';
        if (earlierExpression !== expression && indexCount(expression) > indexCount(earlierExpression)) {
          earlier.expression = [expression];
        }
        return;
      }
      this.errorsByKey.set(key, issue);
    }
    this.issues.push(issue);
  }

  private resolve(issue: OperationOutcomeIssue): OperationOutcomeIssue {
    if (!issue.expression?.length) return issue;
    return { ...issue, expression: issue.expression.map((e) => resolveExpression(this.root, e)) };
  }
}

function indexCount(expression: string): number {
  return expression.split('[').length - 1;
}
