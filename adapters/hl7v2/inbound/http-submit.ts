/**
 * A SubmitTransaction that posts the Bundle to a FHIR server's base URL (the HL7 listener as its own process,
 * the CLI, and end-to-end tests). Non-2xx answers become FhirError with the server's OperationOutcome.
 */
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { FhirError, operationOutcome, issue } from '../../../server/fhir/errors.js';
import type { SubmitTransaction } from './submit-transaction.js';

export function httpSubmit(baseUrl: string, headers: Record<string, string> = {}): SubmitTransaction {
  return async (bundle: Bundle) => {
    const res = await fetch(baseUrl.replace(/\/$/, '') + '/', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...headers },
      body: JSON.stringify(bundle),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const outcome =
        (body as OperationOutcome | undefined)?.resourceType === 'OperationOutcome'
          ? (body as OperationOutcome)
          : operationOutcome([issue('exception', `HTTP ${res.status}: ${text.slice(0, 200)}`)]);
      throw new FhirError(res.status, outcome);
    }
    return body as Bundle;
  };
}
