import type { Meta } from '@medplum/fhirtypes';

/**
 * The meta a store writes for ResourceStore.replaceMeta: the new profiles, tags and security labels with the stored
 * version's own versionId and lastUpdated, whatever the new meta says of them.
 */
export function metaKeepingVersion(stored: Meta, meta: Meta): Meta {
  const { versionId: _v, lastUpdated: _l, ...kept } = meta;
  const next: Meta = { ...kept };
  if (stored.versionId !== undefined) next.versionId = stored.versionId;
  if (stored.lastUpdated !== undefined) next.lastUpdated = stored.lastUpdated;
  return next;
}
