/** Putting bytes in the content store with the server's limit, turning its errors into FHIR answers. */
import type { FhirContext } from '../fhir-context.js';
import { ContentTooLargeError, type StoredContent } from '../../store/content/content-store.js';
import { fhirError, notSupported } from '../errors.js';

/** 100 MiB unless MAX_CONTENT_BYTES says otherwise. */
export const DEFAULT_MAX_CONTENT_BYTES = 100 * 1024 * 1024;

export function contentLimit(ctx: Pick<FhirContext, 'limits'>): number {
  return ctx.limits.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
}

export function tooLarge(maxBytes: number) {
  return fhirError(
    413,
    'too-costly',
    `The content is larger than this server's limit of ${maxBytes} bytes (${(maxBytes / 1048576).toFixed(1)} MiB, MAX_CONTENT_BYTES); nothing was stored`,
  );
}

export async function putContent(
  ctx: FhirContext,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  contentType: string,
  maxBytes: number,
): Promise<StoredContent> {
  if (!ctx.contents) throw notSupported('This server has no content store for Binary bytes');
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in source
      ? source
      : (async function* () {
          yield* source;
        })();
  try {
    return await ctx.contents.put(iterable, { contentType, maxBytes });
  } catch (error) {
    if (error instanceof ContentTooLargeError) throw tooLarge(maxBytes);
    throw error;
  }
}
