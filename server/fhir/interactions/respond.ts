/** Shaping write responses per `Prefer: return=` (minimal | representation | OperationOutcome). */
import type { StoredVersion } from '../../store/resource-store.js';
import type { FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { issue, operationOutcome } from '../errors.js';
import { versionHeaders } from '../resource-meta.js';

export function writeResponse(ctx: FhirContext, status: number, stored: StoredVersion, message: string): FhirResponse {
  const headers = versionHeaders(ctx.baseUrl, stored, status === 201 || status === 200);
  switch (ctx.prefer.return) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return {
        status,
        headers,
        resource: operationOutcome([issue('informational', message, { severity: 'information' })]),
      };
    case 'representation':
      return { status, headers, resource: stored.resource ?? undefined };
  }
}
