/**
 * Turns a failure into ACK errors and tells how it ends: AR (the message is unacceptable), AE permanent (its
 * content cannot be stored — sending it again will not help; it is kept, not queued) or AE transient (the server
 * could not do it now — the message is kept in the replay queue and retried).
 */
import type { AckCode, AckError } from '../ack/ack-builder.js';
import { MappingError } from '../mapping/mapping-error.js';
import { FhirError } from '../../../server/fhir/errors.js';

export interface Failure {
  readonly code: Extract<AckCode, 'AE' | 'AR'>;
  readonly transient: boolean;
  readonly errors: AckError[];
}

/** FHIR statuses that say "not now" rather than "not this content". */
const TRANSIENT_STATUS = new Set([408, 409, 423, 429, 500, 502, 503, 504]);

export function describeFailure(err: unknown): Failure {
  if (err instanceof MappingError) {
    const reject = err.code === '200' || err.code === '201' || err.code === '202' || err.code === '203';
    return {
      code: reject ? 'AR' : 'AE',
      transient: false,
      errors: [{ code: err.code, text: err.message, ...err.location }],
    };
  }
  if (err instanceof FhirError) {
    const transient = TRANSIENT_STATUS.has(err.status) || err.status >= 500;
    const issues = err.outcome.issue ?? [];
    const errors: AckError[] = (issues.length ? issues : [{ diagnostics: err.message }]).slice(0, 10).map((i) => ({
      code: '207',
      text: `${transient ? 'temporarily not stored, will be retried: ' : ''}FHIR ${err.status}: ${('diagnostics' in i && i.diagnostics) || ('details' in i && i.details?.text) || err.message}${'expression' in i && i.expression?.length ? ` (${i.expression.join(', ')})` : ''}`,
    }));
    return { code: 'AE', transient, errors };
  }
  return {
    code: 'AE',
    transient: true,
    errors: [
      {
        code: '207',
        text: `temporarily not stored, will be retried: application error: ${String((err as Error)?.message ?? err)}`,
      },
    ],
  };
}
