/**
 * The FHIR media types and `_format` values both the HTTP edge's content negotiation (server/http) and the Binary
 * read (which answers the bytes themselves unless a FHIR format is asked) read a request by.
 */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
export const FHIR_XML = 'application/fhir+xml; charset=utf-8';

/** `_format` values and Accept types meaning XML. */
export const XML_FORMATS = new Set([
  'xml',
  'text/xml',
  'application/xml',
  'application/fhir+xml',
  'application/xml+fhir',
]);

/** The media type of an Accept entry or `_format`; `application/fhir+xml` in a query string arrives as `application/fhir xml` (+ is a space there). */
export function mediaType(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase().replace(/ /g, '+');
}
