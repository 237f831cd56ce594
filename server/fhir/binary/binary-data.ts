/**
 * Every write of a Binary with inline `data` (JSON create/update, transaction entries, HL7 documents) moves the bytes
 * into the content store before validation: the stored resource names its content (content-ref.ts) and carries no
 * base64, so the 1 MB base64Binary limit of the resource JSON does not apply to a Binary's data and reads stream it.
 * Without a content store (tests of the FHIR layer alone) the data stays inline.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { contentRefOf, withContentRef, withoutContentRef } from './content-ref.js';
import { contentLimit, putContent } from './put-content.js';
import { withFreshContent } from './pending-content.js';

/**
 * Base64 (whitespace allowed between characters, padding only at the end). No regular expression with a repeated group
 * over the whole text: V8 backtracks per repetition and overflows its stack on a few MB (a 5 MB HL7 ED document).
 */
export function isBase64(text: string): boolean {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

/** Binaries the server itself pointed at their content (binary-upload.ts): their content extension is kept. */
const serverNamed = new WeakSet<Resource>();

export function namedByServer<T extends Resource>(resource: T): T {
  serverNamed.add(resource);
  return resource;
}

/**
 * The Binary as it will be stored: a content extension the client sent is kept only when it names the content the
 * current version already has (a read-modify-write or a patch), else removed — a client cannot point a Binary at
 * someone else's bytes; inline `data` goes to the content store.
 */
export async function moveBinaryData(
  ctx: FhirContext,
  incoming: Resource,
  current?: Resource | null,
): Promise<Resource> {
  if (incoming.resourceType !== 'Binary') return incoming;
  const ref = contentRefOf(incoming);
  const keep = !ref || serverNamed.has(incoming) || (current && contentRefOf(current)?.id === ref.id);
  const resource = keep ? incoming : withoutContentRef(incoming);
  if (resource.data === undefined || !ctx.contents) return resource;
  const data = resource.data;
  if (typeof data !== 'string' || !isBase64(data)) throw badRequest('Binary.data is not valid base64', ['Binary.data']);
  const bytes = Buffer.from(data, 'base64');
  const stored = await putContent(ctx, [bytes], resource.contentType, contentLimit(ctx));
  return withFreshContent(withContentRef(resource, stored), stored.id);
}
