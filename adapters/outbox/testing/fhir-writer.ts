/** Writes resources straight into a store as their next version (or a delete version), as the FHIR layer would. */
import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../../server/fhir/indexing/extract-index.js';
import type { ResourceStore } from '../../../server/store/resource-store.js';

export function fhirWriter(store: ResourceStore) {
  return {
    async put(...resources: Resource[]): Promise<void> {
      const writes = [];
      for (const r of resources) {
        const current = await store.read(r.resourceType, r.id!);
        const versionId = (current?.versionId ?? 0) + 1;
        const lastUpdated = new Date().toISOString();
        const resource = { ...r, meta: { ...r.meta, versionId: String(versionId), lastUpdated } } as Resource;
        writes.push({
          resourceType: r.resourceType,
          id: r.id!,
          versionId,
          lastUpdated,
          resource,
          index: extractIndex(resource),
        });
      }
      await store.write(writes);
    },
    async remove(resourceType: string, id: string): Promise<void> {
      const current = await store.read(resourceType, id);
      if (!current?.resource) throw new Error(`${resourceType}/${id} is not there to delete`);
      await store.write([
        {
          resourceType,
          id,
          versionId: current.versionId + 1,
          lastUpdated: new Date().toISOString(),
          resource: null,
          index: extractIndex(current.resource),
        },
      ]);
    },
  };
}
