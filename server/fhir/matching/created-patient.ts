/**
 * Where the write interactions hand a newly created Patient to the duplicate check (duplicate-check.ts) and put its
 * warnings in their answer: the OperationOutcome of `Prefer: return=OperationOutcome`, a transaction entry's
 * `response.outcome`, and — whatever the Prefer — the `X-Probable-Duplicates` header (`Patient/1; grade=probable;
 * score=0.93, …`), so that a registration client sees them without asking for an OperationOutcome.
 */
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { FhirResponse } from '../fhir-request.js';
import type { StoredVersion } from '../../store/resource-store.js';
import type { DuplicateWarning } from './duplicate-check.js';

export const DUPLICATES_HEADER = 'X-Probable-Duplicates';

export async function duplicateWarnings(
  ctx: FhirContext,
  stored: StoredVersion,
  created: boolean,
  source: 'rest' | 'transaction',
): Promise<DuplicateWarning[]> {
  if (!created || !ctx.duplicates || stored.resourceType !== 'Patient' || !stored.resource) return [];
  return ctx.duplicates.check(ctx, stored.resource as Patient, source);
}

export function withDuplicateWarnings(response: FhirResponse, warnings: DuplicateWarning[]): FhirResponse {
  if (warnings.length === 0) return response;
  const header = warnings.map((w) => `Patient/${w.id}; grade=${w.grade}; score=${w.score}`).join(', ');
  const resource =
    response.resource?.resourceType === 'OperationOutcome'
      ? { ...response.resource, issue: [...response.resource.issue, ...warnings.map((w) => w.issue)] }
      : response.resource;
  return {
    ...response,
    headers: { ...response.headers, [DUPLICATES_HEADER]: header },
    ...(resource ? { resource } : {}),
  };
}

/** The `response.outcome` of a transaction entry that created a Patient with probable duplicates. */
export function duplicateOutcome(warnings: DuplicateWarning[]): OperationOutcome | undefined {
  return warnings.length === 0 ? undefined : { resourceType: 'OperationOutcome', issue: warnings.map((w) => w.issue) };
}
