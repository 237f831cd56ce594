/** Names the failing entry in every error raised while a bundle entry is processed. */
import type { BundleEntryResponse, OperationOutcome } from '@medplum/fhirtypes';
import { FhirError } from '../errors.js';
import { asFhirError } from '../known-errors.js';
import type { EntryRequest } from './entry-request.js';

export function describeEntry(request: Pick<EntryRequest, 'index' | 'method' | 'segments' | 'params'>): string {
  const query = request.params.length > 0 ? `?${new URLSearchParams(request.params).toString()}` : '';
  return `Bundle.entry[${request.index}] (${request.method} ${request.segments.join('/')}${query})`;
}

/**
 * Runs fn; a FhirError (or an error with a FHIR answer) coming out of it is re-thrown with the entry named in every
 * issue.
 */
export async function atEntry<T>(
  request: Pick<EntryRequest, 'index' | 'method' | 'segments' | 'params'>,
  fn: () => Promise<T> | T,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const known = asFhirError(error);
    if (known) throw new FhirError(known.status, prefixOutcome(known.outcome, request));
    throw error;
  }
}

function prefixOutcome(
  outcome: OperationOutcome,
  request: Pick<EntryRequest, 'index' | 'method' | 'segments' | 'params'>,
): OperationOutcome {
  const where = describeEntry(request);
  return {
    ...outcome,
    issue: (outcome.issue ?? []).map((i) => ({
      ...i,
      diagnostics: `${where}: ${i.diagnostics ?? i.details?.text ?? 'failed'}`,
      expression: [
        ...(i.expression ?? []).map((e) =>
          `Bundle.entry[${request.index}].resource.${e.replace(/^[A-Z][A-Za-z]+\.?/, '')}`.replace(/\.$/, ''),
        ),
        `Bundle.entry[${request.index}]`,
      ],
    })),
  };
}

export function statusLine(status: number): string {
  const text: Record<number, string> = {
    200: 'OK',
    201: 'Created',
    204: 'No Content',
    304: 'Not Modified',
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    410: 'Gone',
    412: 'Precondition Failed',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity',
    500: 'Internal Server Error',
    501: 'Not Implemented',
  };
  return `${status} ${text[status] ?? ''}`.trim();
}

export function errorEntryResponse(error: FhirError): BundleEntryResponse {
  return { status: statusLine(error.status), outcome: error.outcome };
}
