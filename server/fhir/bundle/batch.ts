/**
 * batch Bundles: every entry is an independent request through the normal router; each answers with its
 * own status (and OperationOutcome on failure) in a batch-response, whatever the others did.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { FhirResponse } from '../fhir-request.js';
import { FhirError } from '../errors.js';
import { asFhirError, internalError } from '../known-errors.js';
import { routeFhirRequest, type RouterOptions } from '../router.js';
import { toEntryRequest } from './entry-request.js';
import { atEntry, errorEntryResponse, statusLine } from './entry-errors.js';
import { wantsRepresentation } from './transaction.js';
import { entryField } from './entry-field.js';

export async function processBatch(ctx: FhirContext, bundle: Bundle, router: RouterOptions): Promise<FhirResponse> {
  const representation = wantsRepresentation(ctx);
  const entryContext: FhirContext = {
    ...ctx,
    prefer: { ...ctx.prefer, return: representation ? 'representation' : 'minimal' },
  };
  const out: BundleEntry[] = [];
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    try {
      const request = toEntryRequest(entry, index, ctx.baseUrl);
      if (request.segments.length === 0)
        throw new FhirError(400, {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'error',
              code: 'not-supported',
              diagnostics: 'Nested batches and transactions are not allowed',
            },
          ],
        });
      const result = await atEntry(request, () => routeFhirRequest(entryContext, request, router));
      const location = result.headers?.['Location'];
      out.push({
        ...(result.resource ? { resource: result.resource } : {}),
        response: {
          status: statusLine(result.status),
          ...(location
            ? { location: location.startsWith(ctx.baseUrl + '/') ? location.slice(ctx.baseUrl.length + 1) : location }
            : {}),
          ...(result.headers?.['ETag'] ? { etag: result.headers['ETag'] } : {}),
          ...(result.headers?.['Last-Modified']
            ? { lastModified: new Date(result.headers['Last-Modified']).toISOString() }
            : {}),
        },
      });
    } catch (error) {
      // Every entry gets its answer, whatever went wrong: the earlier entries are committed, and a whole-response
      // 500 would make a client resend (and duplicate) them.
      const known = asFhirError(error);
      if (!known) ctx.reportError?.(error);
      out.push({ response: errorEntryResponse(known ?? internalError(ctx.requestId)) });
    }
  }
  return { status: 200, resource: { resourceType: 'Bundle', type: 'batch-response', ...entryField(out) } };
}
