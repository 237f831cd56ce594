/**
 * FHIR JSON and FHIR XML (the CapabilityStatement says so): `_format`, else Accept (q-values honoured), decides the
 * answer's format; request bodies are FHIR JSON, FHIR XML (read into JSON by server/fhir/xml), JSON Patch or a
 * search form. 406 only for a `_format` or an Accept naming FHIR formats we do not produce; 415 for other bodies.
 */
import { fhirError } from '../fhir/errors.js';
import { FHIR_JSON, FHIR_XML, XML_FORMATS, mediaType } from '../fhir/media-types.js';

export { FHIR_JSON, FHIR_XML };

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
/** Accept entries answered with FHIR JSON, as before XML was spoken (browsers, curl's default). */
const JSON_ANYWAY = new Set(['*/*', 'application/*', 'text/html', 'text/plain']);

export type ResponseFormat = { kind: 'json' | 'xml'; contentType: string };
export const JSON_RESPONSE: ResponseFormat = { kind: 'json', contentType: FHIR_JSON };

function xmlResponse(type: string): ResponseFormat {
  // A client that asked for plain application/xml or text/xml only gets that type named back.
  const contentType = type === 'application/xml' || type === 'text/xml' ? `${type}; charset=utf-8` : FHIR_XML;
  return { kind: 'xml', contentType };
}

/**
 * The format to answer in; undefined when the client asks only for something we do not produce (→ 406). An Accept
 * naming nothing we know (image/png, say) is answered in JSON, as it always was.
 */
export function chooseFormat(format: string | undefined, accept: string | undefined): ResponseFormat | undefined {
  if (format !== undefined) {
    const f = mediaType(format);
    if (JSON_FORMATS.has(f)) return JSON_RESPONSE;
    if (XML_FORMATS.has(f)) return xmlResponse(f);
    return undefined;
  }
  if (!accept) return JSON_RESPONSE;
  let best: { format: ResponseFormat; q: number } | undefined;
  let namesFhirFormat = false;
  for (const entry of accept.split(',')) {
    const type = mediaType(entry);
    const q = Number(/;\s*q\s*=\s*([0-9.]+)/i.exec(entry)?.[1] ?? '1');
    const known =
      JSON_FORMATS.has(type) || JSON_ANYWAY.has(type)
        ? JSON_RESPONSE
        : XML_FORMATS.has(type)
          ? xmlResponse(type)
          : undefined;
    if (!known) continue;
    namesFhirFormat = true;
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { format: known, q };
  }
  if (best) return best.format;
  return namesFhirFormat ? undefined : JSON_RESPONSE;
}

/** The format to answer in; throws 406 when the client asks only for a format the server does not produce. */
export function negotiateFormat(format: string | undefined, accept: string | undefined): ResponseFormat {
  const chosen = chooseFormat(format, accept);
  if (chosen) return chosen;
  if (format !== undefined) {
    throw fhirError(
      406,
      'not-supported',
      `_format=${format.slice(0, 40)} is not supported: this server speaks FHIR JSON (json) and FHIR XML (xml)`,
    );
  }
  throw fhirError(
    406,
    'not-supported',
    'None of the formats in Accept is produced: ask for application/fhir+json or application/fhir+xml',
  );
}

export const XML_BODY_TYPES = ['application/fhir+xml', 'application/xml+fhir', 'application/xml', 'text/xml'] as const;

export const ACCEPTED_BODY_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  /** The query of $graphql as the whole body (GraphQL over HTTP). */
  'application/graphql',
  ...XML_BODY_TYPES,
] as const;

/** XML Patch (RFC 5261), which the R4 patch interaction allows: not read here (the CapabilityStatement's patchFormat says so). */
const XML_PATCH = 'application/xml-patch+xml';

/** Throws 415 for a body in a content type the server does not read. */
export function assertBodyType(contentType: string | undefined, hasBody: boolean): void {
  if (!hasBody) return;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if ((ACCEPTED_BODY_TYPES as readonly string[]).includes(type)) return;
  if (type === XML_PATCH)
    throw fhirError(
      415,
      'not-supported',
      'XML Patch (application/xml-patch+xml) is not supported: PATCH takes JSON Patch (application/json-patch+json) or a FHIRPath Patch Parameters resource',
    );
  throw fhirError(
    415,
    'not-supported',
    `Content-Type "${type.slice(0, 60) || '(none)'}" is not supported: send application/fhir+json or application/fhir+xml`,
  );
}

/** True for a body in FHIR XML (read by server/fhir/xml into the JSON the rest of the server takes). */
export function isXmlBodyType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return (XML_BODY_TYPES as readonly string[]).includes(type);
}
