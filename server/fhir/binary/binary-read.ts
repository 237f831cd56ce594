/**
 * read / vread of a Binary (FHIR R4 Binary, "Serving Binary Resources using the RESTful API"): a client asking for a
 * FHIR format (Accept application/fhir+json, application/json, application/fhir+xml, or `_format`) gets the Binary
 * resource with its data in base64, in FHIR JSON or FHIR XML (contentType, securityContext, data, as HAPI answers) —
 * streamed from the content store, never built in memory, whatever the size; any other Accept (its content type,
 * plain application/xml or text/xml — a CDA document is one —, `*∕*`, none) gets the bytes themselves with the
 * Binary's Content-Type. Access, conditional reads and 404/410 are those of any read
 * (interactions/read.ts): a Binary with a securityContext is readable exactly as the resource it names.
 */
import { Readable } from 'node:stream';
import type { Binary } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { param } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { readInteraction, vreadInteraction } from '../interactions/read.js';
import { fhirError } from '../errors.js';
import { contentRefOf } from './content-ref.js';
import { binaryJsonStream } from './binary-json-stream.js';
import { binaryXmlStream } from './binary-xml-stream.js';
import { FHIR_JSON, FHIR_XML, XML_FORMATS, mediaType } from '../media-types.js';

const FHIR_JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
/** Only the FHIR XML types: plain application/xml and text/xml name the content of an XML Binary. */
const FHIR_XML_TYPES = new Set(['application/fhir+xml', 'application/xml+fhir']);

export async function binaryReadInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  id: string,
  versionText?: string,
): Promise<FhirResponse> {
  const response =
    versionText === undefined
      ? await readInteraction(ctx, request, 'Binary', id)
      : await vreadInteraction(ctx, request, 'Binary', id, versionText);
  const binary = response.resource as Binary | undefined;
  if (response.status !== 200 || !binary) return response;
  const ref = contentRefOf(binary);
  const format = wantedFormat(request);
  if (format) {
    // data in the resource itself (not in the content store): written as any resource, in the negotiated format
    if (!ref) return response;
    await assertContentPresent(ctx, ref.id);
    const bytes = () => ctx.contents!.open(ref.id);
    return {
      ...response,
      resource: undefined,
      raw:
        format === 'xml'
          ? { contentType: FHIR_XML, body: binaryXmlStream(binary, bytes(), ref.size) }
          : { contentType: FHIR_JSON, body: binaryJsonStream(binary, bytes()) },
    };
  }
  const headers: Record<string, string> = { ...response.headers };
  if (binary.securityContext?.reference) headers['X-Security-Context'] = binary.securityContext.reference;
  const contentType = binary.contentType || 'application/octet-stream';
  if (ref) {
    await assertContentPresent(ctx, ref.id);
    headers['Content-Length'] = String(ref.size);
    return { status: 200, headers, raw: { contentType, body: ctx.contents!.open(ref.id) } };
  }
  const bytes = Buffer.from(binary.data ?? '', 'base64');
  headers['Content-Length'] = String(bytes.length);
  return { status: 200, headers, raw: { contentType, body: Readable.from([bytes]) } };
}

/** A FHIR format asked for: `_format`, else the first FHIR type in Accept; undefined: the bytes themselves. */
export function wantedFormat(request: FhirRequest): 'json' | 'xml' | undefined {
  const format = param(request, '_format');
  // `+` of a query string arrives as a space
  // `_format` values meaning XML; anything else the router let through means JSON
  if (format !== undefined) return XML_FORMATS.has(mediaType(format)) ? 'xml' : 'json';
  const accept = request.headers['accept'];
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    if (/;\s*q\s*=\s*0(\.0*)?\s*(;|$)/i.test(entry)) continue; // q=0: not acceptable
    const type = mediaType(entry);
    if (FHIR_JSON_TYPES.has(type)) return 'json';
    if (FHIR_XML_TYPES.has(type)) return 'xml';
  }
  return undefined;
}

/** Before any header is sent: a Binary whose bytes are gone is a server fault, said as such, not a cut stream. */
async function assertContentPresent(ctx: FhirContext, contentId: string): Promise<void> {
  if (!ctx.contents || !(await ctx.contents.stat(contentId)))
    throw fhirError(500, 'exception', 'The content of this Binary is missing from the content store');
}
