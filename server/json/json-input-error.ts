/**
 * JSON text that JSON or FHIR forbids: becomes a 400 OperationOutcome naming `path` (server/http/error-response.ts).
 */
export class JsonInputError extends Error {
  constructor(
    message: string,
    /** Where, FHIRPath-like (`Observation.code.coding[0]`, `$` when the root has no resourceType yet). */
    readonly path: string,
    /** Character offset in the text (byte offset for invalid UTF-8), when known. */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'JsonInputError';
  }
}

/** String#isWellFormed (ES2024; Node 22 has it, the project's TypeScript lib is ES2023): no lone surrogate. */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}
