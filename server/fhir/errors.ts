/**
 * Typed FHIR errors. Anything in server/fhir, server/store or adapters throws these; server/http turns them
 * into an OperationOutcome response with the status (one place). Unexpected errors become a 500 there.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') || `FHIR error ${status}`);
    this.name = 'FhirError';
  }
}

export function issue(
  code: IssueCode,
  diagnostics: string,
  options: { severity?: OperationOutcomeIssue['severity']; expression?: string[] } = {},
): OperationOutcomeIssue {
  return {
    severity: options.severity ?? 'error',
    code,
    diagnostics,
    ...(options.expression ? { expression: options.expression } : {}),
  };
}

export function operationOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function fhirError(status: number, code: IssueCode, diagnostics: string, expression?: string[]): FhirError {
  return new FhirError(status, operationOutcome([issue(code, diagnostics, { expression })]));
}

export const badRequest = (diagnostics: string, expression?: string[]) =>
  fhirError(400, 'invalid', diagnostics, expression);
export const notFound = (diagnostics: string) => fhirError(404, 'not-found', diagnostics);
export const gone = (diagnostics: string) => fhirError(410, 'deleted', diagnostics);
export const conflict = (diagnostics: string) => fhirError(409, 'conflict', diagnostics);
export const preconditionFailed = (diagnostics: string) => fhirError(412, 'conflict', diagnostics);
export const forbidden = (diagnostics: string) => fhirError(403, 'forbidden', diagnostics);
export const notSupported = (diagnostics: string) => fhirError(501, 'not-supported', diagnostics);
/** Validation failures: 422 Unprocessable Entity with every issue found. */
export const unprocessable = (issues: OperationOutcomeIssue[]) => new FhirError(422, operationOutcome(issues));
