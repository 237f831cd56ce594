/**
 * Errors with a FHIR answer of their own, wherever they come from (store, JSON reader): one mapping used by the
 * HTTP edge and by bundle entries (a batch answers every entry, never a whole-response 500).
 */
import { FhirError, issue, operationOutcome } from './errors.js';
import { JsonInputError } from '../json/json-input-error.js';
import {
  LockLostError,
  LockTimeoutError,
  UnsupportedQueryError,
  VersionConflictError,
} from '../store/resource-store.js';

export function asFhirError(error: unknown): FhirError | undefined {
  if (error instanceof FhirError) return error;
  if (error instanceof JsonInputError) {
    const at = error.position !== undefined ? ` (at offset ${error.position})` : '';
    return new FhirError(
      400,
      operationOutcome([
        issue('structure', `The body is not acceptable JSON: ${error.message} at ${error.path}${at}`, {
          expression: [error.path],
        }),
      ]),
    );
  }
  if (error instanceof UnsupportedQueryError) {
    return new FhirError(400, operationOutcome([issue('not-supported', error.message)]));
  }
  if (error instanceof VersionConflictError) {
    return new FhirError(
      409,
      operationOutcome([issue('conflict', `${error.resourceType}/${error.id} was changed concurrently; try again`)]),
    );
  }
  if (error instanceof LockTimeoutError) {
    return new FhirError(
      503,
      operationOutcome([
        issue('transient', 'A concurrent request with the same conditions is still running; try again'),
      ]),
    );
  }
  if (error instanceof LockLostError) {
    return new FhirError(503, operationOutcome([issue('transient', `${error.message}; try again`)]));
  }
  return undefined;
}

/** The answer to an error nothing expected: a 500 naming the request id (the error itself is logged, never sent). */
export function internalError(requestId: string): FhirError {
  return new FhirError(
    500,
    operationOutcome([issue('exception', `Internal server error; quote request id ${requestId} to the administrator`)]),
  );
}
