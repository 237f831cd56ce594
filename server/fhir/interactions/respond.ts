/** Shaping write responses per `Prefer: return=` (minimal | representation | OperationOutcome). */
import type { StoredVersion } from '../../store/resource-store.js';
import type { FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { issue, operationOutcome } from '../errors.js';
import { versionHeaders } from '../resource-meta.js';
import { mayRead } from '../access/read-access.js';

/**
 * The resource itself is returned only when the caller may read it (a write-only token gets the minimal answer:
 * status and headers).
 */
export async function writeResponse(
  ctx: FhirContext,
  status: number,
  stored: StoredVersion,
  message: string,
): Promise<FhirResponse> {
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
      if (!stored.resource || !(await mayRead(ctx, stored.resource))) return { status, headers };
      return { status, headers, resource: stored.resource };
  }
}
