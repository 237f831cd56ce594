/**
 * An export is a snapshot at its transactionTime T (Bulk Data: resources changed after T SHOULD NOT appear).
 * The searches read current versions last updated at or before T; what changed after T is found in the history
 * (every version with lastUpdated > T), and for those resources the version that was current at T — if there was
 * one and it was not a deletion — is what the export writes. Created after T: not exported; updated or deleted
 * after T: exported as it was at T.
 */
import type { ResourceStore, StoredVersion } from '../../../store/resource-store.js';

const PAGE = 1000;

/** Ids of `type` that have a version written after `instant`. */
export async function changedAfter(store: ResourceStore, type: string, instant: string): Promise<Set<string>> {
  const since = new Date(Date.parse(instant) + 1).toISOString();
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.history({ resourceType: type, since, count: PAGE, cursor });
    for (const v of page.versions) ids.add(v.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** The version of type/id current at `instant`, unless there was none or it was a deletion. */
export async function versionAt(
  store: ResourceStore,
  type: string,
  id: string,
  instant: string,
): Promise<StoredVersion | undefined> {
  const page = await store.history({ resourceType: type, id, before: instant, count: 1 });
  const version = page.versions[0];
  return version && !version.deleted && version.resource ? version : undefined;
}
