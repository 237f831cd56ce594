/**
 * create (POST Binary) and update (PUT Binary/[id]) with a raw body of any media type (PDF, JPEG, DICOM, text…), as
 * FHIR R4 allows: the body is the content, Content-Type becomes Binary.contentType and the `X-Security-Context` header
 * Binary.securityContext. Access is decided before a byte is read; the body streams into the content store (never
 * held whole), then the Binary version naming it is committed. Past the limit (MAX_CONTENT_BYTES, 100 MiB by default)
 * the answer is 413 and nothing is kept; a failed commit removes the content it had stored.
 */
import type { Binary } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { assertMayChangeCurrent, assertMayWriteNew, requireWriteAccess } from '../access/write-access.js';
import { assertValidId } from '../check-resource-body.js';
import { assertValid } from '../interactions/assert-valid.js';
import { createResource } from '../interactions/create.js';
import { readIfMatch, updateResource } from '../interactions/update.js';
import { writeResponse } from '../interactions/respond.js';
import { withContentRef } from './content-ref.js';
import { contentLimit, putContent, tooLarge } from './put-content.js';
import { namedByServer } from './binary-data.js';

const REFERENCE = /^(?:https?:\/\/\S+\/)?[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export async function binaryUploadInteraction(
  ctx: FhirContext,
  request: FhirRequest,
  body: AsyncIterable<Uint8Array>,
  id?: string,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, id === undefined ? 'create' : 'update', 'Binary');
  if (id !== undefined) assertValidId(id);
  const binary = binaryOf(request, id);
  const maxBytes = contentLimit(ctx);
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (id === undefined) {
    await assertMayWriteNew(ctx, 'create', binary);
  } else {
    await assertMayChangeCurrent(ctx, 'update', await ctx.store.read('Binary', id));
    await assertMayWriteNew(ctx, 'update', binary);
  }
  await assertValid(ctx, binary);
  const ifMatch = readIfMatch(request);
  const content = await putContent(ctx, body, binary.contentType, maxBytes);
  const withContent = namedByServer(withContentRef(binary, content));
  try {
    if (id === undefined) {
      const stored = await createResource(ctx, withContent);
      return await writeResponse(ctx, 201, stored, `Created Binary/${stored.id} (${content.size} bytes)`);
    }
    const { stored, created } = await updateResource(ctx, withContent, id, ifMatch);
    return await writeResponse(ctx, created ? 201 : 200, stored, `Stored Binary/${id} (${content.size} bytes)`);
  } catch (error) {
    await ctx.contents?.delete(content.id).catch(() => undefined);
    throw error;
  }
}

function binaryOf(request: FhirRequest, id: string | undefined): Binary {
  const contentType = (request.headers['content-type'] ?? '').trim() || 'application/octet-stream';
  if (contentType.length > 200) throw badRequest('The Content-Type header is longer than 200 characters');
  const context = request.headers['x-security-context']?.trim();
  if (context !== undefined && !REFERENCE.test(context))
    throw badRequest(`X-Security-Context "${context.slice(0, 80)}" is not a resource reference such as Patient/123`);
  return {
    resourceType: 'Binary',
    ...(id !== undefined ? { id } : {}),
    contentType,
    ...(context ? { securityContext: { reference: context } } : {}),
  };
}
