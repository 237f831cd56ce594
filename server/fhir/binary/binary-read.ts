/**
 * read / vread of a Binary (FHIR R4 Binary, "Serving Binary Resources using the RESTful API"): a client asking for a
 * FHIR format (Accept application/fhir+json or application/json, or `_format`) gets the Binary resource with its data
 * in base64 — streamed from the content store, never built in memory; any other Accept (its content type, `*∕*`, none)
 * gets the bytes themselves with the Binary's Content-Type. Access, conditional reads and 404/410 are those of any read
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

const FHIR_JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

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
  if (wantsResource(request)) {
    if (!ref) return response;
    await assertContentPresent(ctx, ref.id);
    return {
      ...response,
      resource: undefined,
      raw: { contentType: FHIR_JSON, body: binaryJsonStream(binary, ctx.contents!.open(ref.id)) },
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

/** A FHIR format asked for: `_format`, or a FHIR JSON type in Accept. */
export function wantsResource(request: FhirRequest): boolean {
  if (param(request, '_format') !== undefined) return true;
  const accept = request.headers['accept'];
  if (!accept) return false;
  return accept.split(',').some((t) => FHIR_JSON_TYPES.has(t.split(';')[0]!.trim().toLowerCase()));
}

/** Before any header is sent: a Binary whose bytes are gone is a server fault, said as such, not a cut stream. */
async function assertContentPresent(ctx: FhirContext, contentId: string): Promise<void> {
  if (!ctx.contents || !(await ctx.contents.stat(contentId)))
    throw fhirError(500, 'exception', 'The content of this Binary is missing from the content store');
}
