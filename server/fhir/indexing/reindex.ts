/**
 * Re-extraction of the stored search index after a change of how text is indexed (INDEX_TEXT_VERSION in
 * text/fold-text.ts: the Arabic folds, name parts, phonetic keys). A database written by an earlier version keeps
 * working, but its old index values miss the new matches (`name=احمد` would not find an older `أحمد`) until
 * re-extracted. The server starts a background reindex by itself (NILECARE_REINDEX=auto, the default) and
 * `npm run reindex` runs one to completion from the command line. It is:
 * - online: resources are read a page at a time and their index replaced only if the version read is still the
 *   current one (a concurrent write has already indexed with the new code);
 * - resumable: the position (type, cursor) is saved in the store after every batch, so a stop resumes there;
 * - idempotent: running it twice, or on two nodes at once, gives the same index.
 */
import type { ResourceStore, StoredVersion } from '../../store/resource-store.js';
import type { ResourceIndex } from './index-entry.js';
import { INDEX_TEXT_VERSION } from './text/fold-text.js';

export const INDEX_VERSION_SETTING = 'index_text_version';
const PROGRESS_SETTING = 'index_text_reindex';

export type IndexStatus = { stored: number; current: number; upToDate: boolean };

export type ReindexProgress = { type: string; resources: number; replaced: number };

export type ReindexOptions = {
  resourceTypes: readonly string[];
  extractIndex: (resource: NonNullable<StoredVersion['resource']>) => ResourceIndex;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ReindexProgress) => void;
};

/**
 * The index text version of the stored index. A store that never recorded one holds version 1 when it has
 * resources, and is recorded as current when empty (a new database needs no reindex).
 */
export async function indexStatus(store: ResourceStore): Promise<IndexStatus> {
  const recorded = await store.readSetting(INDEX_VERSION_SETTING);
  let stored = recorded === undefined ? undefined : Number(recorded);
  if (stored === undefined || !Number.isInteger(stored)) {
    const any = await store.search({ resourceTypes: [], conditions: [], sort: [], count: 1, total: 'none' });
    stored = any.entries.length === 0 ? INDEX_TEXT_VERSION : 1;
    if (stored === INDEX_TEXT_VERSION) await store.writeSetting(INDEX_VERSION_SETTING, String(stored));
  }
  return { stored, current: INDEX_TEXT_VERSION, upToDate: stored >= INDEX_TEXT_VERSION };
}

/** Re-extracts the index of every current resource; resumes a reindex that was stopped. */
export async function reindexStore(
  store: ResourceStore,
  options: ReindexOptions,
): Promise<{ resources: number; replaced: number; completed: boolean }> {
  const batchSize = options.batchSize ?? 500;
  const saved = parseProgress(await store.readSetting(PROGRESS_SETTING));
  const types = [...options.resourceTypes].sort();
  let startAt = saved ? Math.max(0, types.indexOf(saved.type)) : 0;
  if (saved && types.indexOf(saved.type) < 0) startAt = 0;
  let resources = 0;
  let replaced = 0;
  for (let t = startAt; t < types.length; t++) {
    const type = types[t]!;
    let cursor: string | undefined = saved && t === startAt && saved.type === type ? saved.cursor : undefined;
    do {
      if (options.signal?.aborted) return { resources, replaced, completed: false };
      const page = await store.search({
        resourceTypes: [type],
        conditions: [],
        sort: [{ kind: 'id', descending: false }],
        count: batchSize,
        total: 'none',
        ...(cursor ? { cursor } : {}),
      });
      const items = page.entries
        .filter((v) => v.resource)
        .map((v) => ({
          resourceType: v.resourceType,
          id: v.id,
          versionId: v.versionId,
          index: options.extractIndex(v.resource!),
        }));
      replaced += await store.replaceIndexes(items);
      resources += items.length;
      cursor = page.nextCursor;
      await store.writeSetting(
        PROGRESS_SETTING,
        JSON.stringify(cursor ? { type, cursor } : { type: types[t + 1] ?? type, cursor: undefined }),
      );
      if (items.length > 0) options.onProgress?.({ type, resources, replaced });
    } while (cursor);
  }
  await store.writeSetting(INDEX_VERSION_SETTING, String(INDEX_TEXT_VERSION));
  await store.writeSetting(PROGRESS_SETTING, undefined);
  return { resources, replaced, completed: true };
}

function parseProgress(text: string | undefined): { type: string; cursor?: string } | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { type?: unknown; cursor?: unknown };
    if (typeof parsed.type !== 'string') return undefined;
    return typeof parsed.cursor === 'string' ? { type: parsed.type, cursor: parsed.cursor } : { type: parsed.type };
  } catch {
    return undefined;
  }
}
