/**
 * The current versions a transaction's writes start from, read in ONE store call before the entries are planned
 * (instead of one read per entry). Only a snapshot: the store's write is a compare-and-set on the version number,
 * so a version written by someone else in between makes the commit fail and the transaction start over.
 */
import type { ResourceKey, ResourceStore, StoredVersion } from '../../store/resource-store.js';

export type CurrentVersions = {
  /** The current version (possibly a delete version), or undefined when never written. */
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>;
};

export async function prefetchCurrentVersions(store: ResourceStore, keys: ResourceKey[]): Promise<CurrentVersions> {
  const wanted = new Map<string, ResourceKey>(keys.map((k) => [`${k.resourceType}/${k.id}`, k]));
  const found = new Map<string, StoredVersion>();
  if (wanted.size > 0) {
    for (const v of await store.readCurrentMany([...wanted.values()])) found.set(`${v.resourceType}/${v.id}`, v);
  }
  return {
    read: async (resourceType, id) => {
      const key = `${resourceType}/${id}`;
      // a key that was not prefetched (none is, today) is read on its own rather than taken as absent
      return wanted.has(key) ? found.get(key) : store.read(resourceType, id);
    },
  };
}
