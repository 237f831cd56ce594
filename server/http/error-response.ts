/**
 * The one place where errors become HTTP answers: FhirError keeps its status and OperationOutcome;
 * body-parser failures become 400/413/415; JSON the reader refuses, store query limits and version conflicts
 * answer as server/fhir/known-errors.ts says; anything else is a 500
 * with an OperationOutcome that names the request id (logged with the stack; never sent to the client).
 */
import type { Logger } from 'pino';
import { FhirError, issue, operationOutcome } from '../fhir/errors.js';
import type { FhirResponse } from '../fhir/fhir-request.js';
import { UnsupportedCharsetError } from '../json/decode-json-bytes.js';
import { asFhirError } from '../fhir/known-errors.js';

type HttpishError = Error & { type?: string; status?: number; statusCode?: number; limit?: number };

export function errorResponse(error: unknown, requestId: string, logger: Logger): FhirResponse {
  if (error instanceof FhirError) {
    // Authorisation errors carry their own challenge (RFC 6750); a 403 from a scope check gets insufficient_scope.
    const challenge = (error as FhirError & { wwwAuthenticate?: string }).wwwAuthenticate;
    const headers =
      challenge !== undefined
        ? { 'WWW-Authenticate': challenge }
        : error.status === 401
          ? { 'WWW-Authenticate': 'Bearer' }
          : error.status === 403
            ? { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' }
            : undefined;
    return { status: error.status, resource: error.outcome, headers };
  }
  const known = asFhirError(error); // JSON input, store query limits, version conflicts
  if (known) return { status: known.status, resource: known.outcome };
  if (error instanceof UnsupportedCharsetError) return outcome(415, 'not-supported', error.message);
  const e = error as HttpishError;
  switch (e?.type) {
    case 'entity.parse.failed':
      return outcome(400, 'structure', `The body is not valid JSON: ${String(e.message).slice(0, 200)}`);
    case 'entity.too.large':
      return outcome(413, 'too-costly', `The body is larger than the limit of ${e.limit ?? '?'} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return outcome(415, 'not-supported', String(e.message).slice(0, 200));
    case 'request.aborted':
      return outcome(400, 'incomplete', 'The request body was not received completely');
    case undefined:
      break;
  }
  if (e?.status === 405) return outcome(405, 'not-supported', 'Method not allowed');
  logger.error({ err: error, requestId }, 'unexpected error');
  return outcome(500, 'exception', `Internal server error; quote request id ${requestId} to the administrator`);
}

function outcome(status: number, code: Parameters<typeof issue>[0], diagnostics: string): FhirResponse {
  return { status, resource: operationOutcome([issue(code, diagnostics)]) };
}
