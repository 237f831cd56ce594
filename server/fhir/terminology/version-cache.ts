/**
 * Client-made CodeSystems, ValueSets and ConceptMaps (and profiles) by type, id and version, kept in memory between
 * requests: a resource version never changes, so a request that learnt the current keys of what it needs (through
 * searchKeys: an index probe, no body read) takes the bodies it already holds from here and reads only the others.
 * Correct across app instances and after any edit: a new version has a new key, a deleted resource is not among the
 * current keys. A small LRU (a 1,000-concept CodeSystem is ~100 kB of objects).
 */
import { LRUCache } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { MatchEntries, ResourceStore } from '../../store/resource-store.js';

const held = new LRUCache<Resource>(128);

/** Version and lastUpdated: two stores in one process (tests) holding the same id and version do not mix. */
const keyOf = (type: string, id: string, versionId: number, lastUpdatedMs: number) =>
  `${type}/${id}/${versionId}/${lastUpdatedMs}`;

/** The current resources of these keys: held ones from memory, the rest read from the store (and then held). */
export async function currentBodies(store: ResourceStore, keys: readonly MatchEntries[]): Promise<Resource[]> {
  const out = new Map<string, Resource>();
  const missing: MatchEntries[] = [];
  for (const k of keys) {
    const key = keyOf(k.resourceType, k.id, k.versionId, k.lastUpdatedMs);
    const hit = held.get(key);
    if (hit) out.set(`${k.resourceType}/${k.id}`, hit);
    else missing.push(k);
  }
  if (missing.length > 0) {
    const read = await store.readCurrentMany(missing.map((k) => ({ resourceType: k.resourceType, id: k.id })));
    for (const v of read) {
      if (!v.resource) continue; // deleted since the keys were read
      held.set(keyOf(v.resourceType, v.id, v.versionId, Date.parse(v.lastUpdated)), v.resource);
      out.set(`${v.resourceType}/${v.id}`, v.resource);
    }
  }
  return keys.flatMap((k) => {
    const r = out.get(`${k.resourceType}/${k.id}`);
    return r ? [r] : [];
  });
}
