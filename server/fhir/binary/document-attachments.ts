/**
 * DocumentReference attachments on every write path (create, update, transaction entries, beside moveBinaryData):
 * inline `content[].attachment.data` moves into a new Binary (its securityContext is the DocumentReference's subject,
 * so the bytes are readable exactly as the document is) and the attachment then carries url = "Binary/<id>", size and
 * hash (SHA-1 of the bytes, base64, as FHIR's Attachment.hash defines) instead of `data`. An attachment whose url names
 * an existing Binary of this server that the caller may read gets size and hash from its stored content. A size or
 * hash the client sent that disagrees with the bytes is refused with 422, naming the element.
 *
 * The new Binaries are written in the same store write as the DocumentReference (pending-content.ts companions): both
 * or neither; a failed write removes the bytes it stored. Without a content store nothing changes.
 */
import type { Attachment, Binary, DocumentReference, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { badRequest, issue, unprocessable } from '../errors.js';
import { mayRead } from '../access/read-access.js';
import { isBase64 } from './binary-data.js';
import { contentRefOf, withContentRef } from './content-ref.js';
import { contentLimit, putContent } from './put-content.js';
import { namedByServer } from './binary-data.js';
import { discardFreshContent, withCompanions, withFreshContent } from './pending-content.js';

type Known = { size: number; sha1: string };

export async function moveAttachmentData(ctx: FhirContext, incoming: Resource): Promise<Resource> {
  if (incoming.resourceType !== 'DocumentReference' || !ctx.contents || !Array.isArray(incoming.content))
    return incoming;
  const doc: DocumentReference = incoming;
  const content = [];
  const binaries: Binary[] = [];
  try {
    for (const [i, entry] of doc.content.entries()) {
      const attachment = entry?.attachment;
      if (!attachment || typeof attachment !== 'object') {
        content.push(entry);
        continue;
      }
      const path = `DocumentReference.content[${i}].attachment`;
      let next: Attachment;
      if (attachment.data !== undefined) {
        const moved = await toBinary(ctx, doc, attachment, path);
        binaries.push(moved.binary);
        next = moved.attachment;
      } else {
        next = await fromExistingBinary(ctx, attachment, path);
      }
      content.push({ ...entry, attachment: next });
    }
  } catch (error) {
    await discardFreshContent(ctx, binaries);
    throw error;
  }
  return withCompanions({ ...doc, content }, binaries);
}

/** The bytes into the content store and a new Binary naming them, written later together with the document. */
async function toBinary(
  ctx: FhirContext,
  doc: DocumentReference,
  attachment: Attachment,
  path: string,
): Promise<{ binary: Binary; attachment: Attachment }> {
  const data = attachment.data;
  if (typeof data !== 'string' || !isBase64(data)) throw badRequest(`${path}.data is not valid base64`, [path]);
  const bytes = Buffer.from(data, 'base64');
  const contentType = attachment.contentType ?? 'application/octet-stream';
  const stored = await putContent(ctx, [bytes], contentType, contentLimit(ctx));
  try {
    assertAgrees(attachment, stored, path);
  } catch (error) {
    await ctx.contents?.delete(stored.id).catch(() => undefined);
    throw error;
  }
  const subject = doc.subject?.reference;
  const id = ctx.newId();
  const binary: Binary = {
    resourceType: 'Binary',
    id,
    contentType,
    ...(typeof subject === 'string' ? { securityContext: { reference: subject } } : {}),
  };
  const { data: _data, ...rest } = attachment;
  return {
    binary: withFreshContent(namedByServer(withContentRef(binary, stored)), stored.id),
    attachment: { ...rest, url: `Binary/${id}`, size: stored.size, hash: stored.sha1 },
  };
}

async function fromExistingBinary(ctx: FhirContext, attachment: Attachment, path: string) {
  const id = localBinaryId(ctx, attachment.url);
  if (id === undefined) return attachment;
  const current = await ctx.store.read('Binary', id);
  if (!current || current.deleted || !current.resource) return attachment;
  if (!(await mayRead(ctx, current.resource))) return attachment;
  const ref = contentRefOf(current.resource);
  if (!ref) return attachment;
  assertAgrees(attachment, ref, path);
  return { ...attachment, size: ref.size, hash: ref.sha1 };
}

function localBinaryId(ctx: FhirContext, url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const local = url.startsWith(ctx.baseUrl + '/') ? url.slice(ctx.baseUrl.length + 1) : url;
  return /^Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(local)?.[1];
}

function assertAgrees(attachment: Attachment, known: Known, path: string): void {
  const issues = [];
  if (attachment.size !== undefined && attachment.size !== known.size)
    issues.push(
      issue('value', `${path}.size is ${attachment.size} but the content is ${known.size} bytes`, {
        expression: [`${path}.size`],
      }),
    );
  if (attachment.hash !== undefined && attachment.hash !== known.sha1)
    issues.push(
      issue('value', `${path}.hash ${String(attachment.hash)} is not the SHA-1 of the content (${known.sha1})`, {
        expression: [`${path}.hash`],
      }),
    );
  if (issues.length > 0) throw unprocessable(issues);
}
