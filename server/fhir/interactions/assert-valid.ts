/** Validation gate of every write: errors answer 422 with all issues; warnings do not block. */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { unprocessable } from '../errors.js';

export function assertValid(ctx: Pick<FhirContext, 'validate'>, resource: Resource): void {
  const issues = ctx.validate(resource);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) {
    throw unprocessable(issues);
  }
}
