/** POST [base] with a Bundle: transaction (all or nothing) or batch (independent entries). */
import type { Bundle } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { badRequest, fhirError } from '../errors.js';
import type { RouterOptions } from '../router.js';
import { processTransaction } from './transaction.js';
import { processBatch } from './batch.js';

export async function processBundle(
  ctx: FhirContext,
  request: FhirRequest,
  router: RouterOptions,
): Promise<FhirResponse> {
  const bundle = request.body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw badRequest('POST to the base URL takes a Bundle of type transaction or batch', ['Bundle']);
  }
  if (!Array.isArray(bundle.entry ?? [])) throw badRequest('Bundle.entry must be an array', ['Bundle.entry']);
  const count = bundle.entry?.length ?? 0;
  if (count > ctx.limits.maxBundleEntries) {
    throw fhirError(
      413,
      'too-costly',
      `The bundle has ${count} entries; this server accepts at most ${ctx.limits.maxBundleEntries}`,
    );
  }
  switch (bundle.type) {
    case 'transaction':
      return processTransaction(ctx, bundle, router);
    case 'batch':
      return processBatch(ctx, bundle, router);
    default:
      throw badRequest(
        `Bundle.type must be transaction or batch to be processed, not ${String(bundle.type).slice(0, 40)}`,
        ['Bundle.type'],
      );
  }
}
