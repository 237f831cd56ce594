/**
 * Bulk Data (v2, "Attachments"): an exported Attachment's `url` SHALL be absolute and dereferenceable with the export's
 * token. A DocumentReference this server stored names its Binary relatively (`Binary/123`); the export writes it as
 * `<base>/Binary/123`. The Binaries themselves are exported as resources without `data` (Binary.ndjson): the bytes are
 * fetched from that URL, never inlined in the ndjson.
 */
import type { Resource } from '@medplum/fhirtypes';

const LOCAL_BINARY = /^Binary\/[A-Za-z0-9\-.]{1,64}$/;

export function withAbsoluteAttachmentUrls(resource: Resource, baseUrl: string): Resource {
  if (resource.resourceType !== 'DocumentReference' || !Array.isArray(resource.content)) return resource;
  if (!resource.content.some((c) => LOCAL_BINARY.test(c?.attachment?.url ?? ''))) return resource;
  return {
    ...resource,
    content: resource.content.map((c) =>
      LOCAL_BINARY.test(c?.attachment?.url ?? '')
        ? { ...c, attachment: { ...c.attachment, url: `${baseUrl}/${c.attachment.url!}` } }
        : c,
    ),
  };
}
