/**
 * JSON only (the CapabilityStatement says so): `_format` and Accept decide whether a request can be
 * answered; request bodies must be FHIR JSON, JSON Patch or a search form.
 */
import { fhirError } from '../fhir/errors.js';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const XML_FORMATS = new Set(['xml', 'text/xml', 'application/xml', 'application/fhir+xml', 'application/xml+fhir']);

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Throws 406 when the client asks only for a format the server does not produce. */
export function assertAcceptableFormat(format: string | undefined, accept: string | undefined): void {
  if (format !== undefined) {
    const f = format.split(';')[0]!.trim().toLowerCase();
    if (JSON_FORMATS.has(f)) return;
    throw fhirError(
      406,
      'not-supported',
      `_format=${format.slice(0, 40)} is not supported: this server speaks FHIR JSON only`,
    );
  }
  if (!accept) return;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const acceptable = types.some(
    (t) => JSON_FORMATS.has(t) || t === '*/*' || t === 'application/*' || t === 'text/html' || t === 'text/plain',
  );
  if (!acceptable && types.some((t) => XML_FORMATS.has(t))) {
    throw fhirError(406, 'not-supported', 'FHIR XML is not supported: ask for application/fhir+json');
  }
}

export const ACCEPTED_BODY_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  /** The query of $graphql as the whole body (GraphQL over HTTP). */
  'application/graphql',
] as const;

/** Throws 415 for a body in a content type the server does not read. */
export function assertBodyType(contentType: string | undefined, hasBody: boolean): void {
  if (!hasBody) return;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if ((ACCEPTED_BODY_TYPES as readonly string[]).includes(type)) return;
  if (XML_FORMATS.has(type))
    throw fhirError(415, 'not-supported', 'FHIR XML bodies are not supported: send application/fhir+json');
  throw fhirError(
    415,
    'not-supported',
    `Content-Type "${type.slice(0, 60) || '(none)'}" is not supported: send application/fhir+json`,
  );
}
