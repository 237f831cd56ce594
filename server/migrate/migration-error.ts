/** A migration command refused or failed; `details` lists each problem on its own line. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    message: string,
    readonly details: string[] = [],
    override readonly cause?: unknown,
  ) {
    super(details.length ? `${message}\n  - ${details.join('\n  - ')}` : message);
  }
}
