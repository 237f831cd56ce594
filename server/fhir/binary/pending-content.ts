/**
 * What a write carries besides its resource until the store commits it, kept beside the resource object (WeakMaps:
 * nothing leaks into the JSON):
 * - companions: resources written in the same store write — the Binaries a DocumentReference's inline attachments
 *   became (document-attachments.ts), so that document and Binaries commit together or not at all;
 * - fresh content: content this write stored in the content store. When the write fails it is removed at once
 *   (discardFreshContent); if the process dies first, the content is never claimed and the content store removes it
 *   (ContentStore.removeUnclaimed).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';

const companions = new WeakMap<Resource, Resource[]>();
const fresh = new WeakMap<Resource, string[]>();

export function withCompanions<T extends Resource>(resource: T, others: readonly Resource[]): T {
  if (others.length > 0) companions.set(resource, [...(companions.get(resource) ?? []), ...others]);
  return resource;
}

/** Resources to be written with `resource` in one store write (each with its id set, as version 1). */
export function companionsOf(resource: Resource | null | undefined): readonly Resource[] {
  return (resource && companions.get(resource)) ?? [];
}

export function withFreshContent<T extends Resource>(resource: T, contentId: string): T {
  fresh.set(resource, [...(fresh.get(resource) ?? []), contentId]);
  return resource;
}

/** Removes the content stored for these resources (and their companions) by a write that then failed. */
export async function discardFreshContent(
  ctx: Pick<FhirContext, 'contents'>,
  resources: ReadonlyArray<Resource | null | undefined>,
): Promise<void> {
  if (!ctx.contents) return;
  const all = resources.flatMap((r) => (r ? [r, ...companionsOf(r)] : []));
  for (const id of all.flatMap((r) => fresh.get(r) ?? [])) await ctx.contents.delete(id).catch(() => undefined); // unclaimed left-overs are removed later anyway
}
