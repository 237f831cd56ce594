/**
 * Where a Binary's bytes are: a Binary resource kept by this server carries no `data`; a server-written extension in
 * `meta` (Binary has no `extension` of its own) names its content in the content store with size and SHA-1. Clients see
 * it (size and hash are useful) but never set it: checkResourceBody removes it from every body a client sends, so a
 * Binary cannot be pointed at someone else's content.
 */
import type { Binary, Extension, Resource } from '@medplum/fhirtypes';
import type { StoredContent } from '../../store/content/content-store.js';

export const CONTENT_EXTENSION_URL = 'http://nilecare.sd/fhir/StructureDefinition/binary-content';

export type ContentRef = { id: string; size: number; sha1: string };

export function contentRefOf(resource: Resource | null | undefined): ContentRef | undefined {
  if (resource?.resourceType !== 'Binary') return undefined;
  const ext = resource.meta?.extension?.find((e) => e.url === CONTENT_EXTENSION_URL);
  if (!ext) return undefined;
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  const id = part('id')?.valueString;
  const size = part('size')?.valueDecimal;
  const sha1 = part('sha1')?.valueBase64Binary;
  return id !== undefined && size !== undefined && sha1 !== undefined ? { id, size, sha1 } : undefined;
}

/** The Binary without `data`, naming `content` instead (any earlier content extension replaced). */
export function withContentRef(binary: Binary, content: StoredContent): Binary {
  const { data: _data, ...rest } = binary;
  const ext: Extension = {
    url: CONTENT_EXTENSION_URL,
    extension: [
      { url: 'id', valueString: content.id },
      { url: 'size', valueDecimal: content.size },
      { url: 'sha1', valueBase64Binary: content.sha1 },
    ],
  };
  const others = binary.meta?.extension?.filter((e) => e.url !== CONTENT_EXTENSION_URL) ?? [];
  return { ...rest, meta: { ...binary.meta, extension: [...others, ext] } };
}

/** The resource without a content extension (what a client sent); the same object when there was none. */
export function withoutContentRef<T extends Resource>(resource: T): T {
  const meta = resource.meta;
  if (!meta?.extension?.some((e) => e?.url === CONTENT_EXTENSION_URL)) return resource;
  const extension = meta.extension.filter((e) => e?.url !== CONTENT_EXTENSION_URL);
  const { extension: _e, ...restMeta } = meta;
  const nextMeta = extension.length > 0 ? { ...restMeta, extension } : restMeta;
  const { meta: _m, ...rest } = resource;
  return (Object.keys(nextMeta).length > 0 ? { ...rest, meta: nextMeta } : rest) as T;
}
