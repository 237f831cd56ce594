/**
 * Validation gate of every write: errors answer 422 with all issues; warnings do not block. Client-made profiles
 * and ValueSets count (validate-with-store.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { unprocessable } from '../errors.js';
import { validateWithStore } from '../validation/validate-with-store.js';

export async function assertValid(
  ctx: Pick<FhirContext, 'validate' | 'store' | 'baseUrl'>,
  resource: Resource,
): Promise<void> {
  const issues = await validateWithStore(ctx, resource);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) {
    throw unprocessable(issues);
  }
}
