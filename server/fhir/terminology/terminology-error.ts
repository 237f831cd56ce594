/**
 * A terminology request that cannot be answered: an unknown code system or value set, an unsupported filter, an
 * expansion too large to produce. The operations turn it into an OperationOutcome (400/404/422).
 */
export type TerminologyErrorCode = 'not-found' | 'not-supported' | 'invalid' | 'too-costly';

export class TerminologyError extends Error {
  constructor(
    readonly code: TerminologyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TerminologyError';
  }
}
