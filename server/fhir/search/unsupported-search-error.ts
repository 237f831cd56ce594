/**
 * Thrown for well-formed requests that use a feature this server does not implement (strict → 400, lenient → ignored).
 */
export class UnsupportedSearchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedSearchError';
  }
}
