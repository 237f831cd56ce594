/** Turns a mapping or transaction failure into ACK errors: which segment/field, which 0357 code, AE or AR. */
import type { AckCode, AckError } from '../ack/ack-builder.js';
import { MappingError } from '../mapping/mapping-error.js';
import { FhirError } from '../../../server/fhir/errors.js';

export function describeFailure(err: unknown): { code: AckCode; errors: AckError[] } {
  if (err instanceof MappingError) {
    // An unsupported message type or event is a rejection; a content problem is an application error.
    const code: AckCode = err.code === '200' || err.code === '201' ? 'AR' : 'AE';
    return { code, errors: [{ code: err.code, text: err.message, ...err.location }] };
  }
  if (err instanceof FhirError) {
    const issues = err.outcome.issue ?? [];
    const errors: AckError[] = (issues.length ? issues : [{ diagnostics: err.message }]).slice(0, 10).map((i) => ({
      code: '207',
      text: `FHIR ${err.status}: ${('diagnostics' in i && i.diagnostics) || ('details' in i && i.details?.text) || err.message}${'expression' in i && i.expression?.length ? ` (${i.expression.join(', ')})` : ''}`,
    }));
    return { code: 'AE', errors };
  }
  return {
    code: 'AE',
    errors: [{ code: '207', text: `application error: ${String((err as Error)?.message ?? err)}` }],
  };
}
