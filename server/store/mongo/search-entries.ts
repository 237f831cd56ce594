/**
 * searchEntries() on MongoDB: one find per collection with the search's compiled filter (chains and _has resolved
 * first, as search() does), projecting only the asked idx.<kind> arrays — never the resource — and keeping the
 * entries of the asked parameters.
 */
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import type { SearchQuery } from '../../fhir/search/search-query.js';
import type { EntryParam, MatchEntries } from '../resource-store.js';
import { collectionNameFor } from './collection-names.js';
import { compileSearchFilter } from './compile-condition.js';
import type { DocDatabase, Projection } from './doc-db.js';
import { resolveJoins } from './resolve-joins.js';

export async function searchEntries(
  db: DocDatabase,
  query: SearchQuery,
  types: string[],
  params: readonly EntryParam[],
  limit: number,
  maxJoinIds?: number,
): Promise<MatchEntries[]> {
  const kinds = [...new Set(params.map((p) => p.kind))];
  const wanted = new Set(params.map((p) => `${p.kind}:${p.param}`));
  const projection: Projection = { id: 1, versionId: 1, lu: 1 };
  for (const kind of kinds) projection[`idx.${kind}`] = 1;
  const out: MatchEntries[] = [];
  for (const type of types) {
    if (out.length >= limit) break;
    const conditions = await resolveJoins(db, query.conditions, type, maxJoinIds);
    const docs = await db.collection(collectionNameFor(type)).find(compileSearchFilter(conditions), {
      projection,
      limit: limit - out.length,
      ...(query.timeoutMs !== undefined ? { maxTimeMS: query.timeoutMs } : {}),
    });
    for (const doc of docs) {
      const idx = (doc['idx'] ?? {}) as Record<string, Array<Record<string, unknown>> | undefined>;
      const entries: IndexEntry[] = [];
      for (const kind of kinds)
        for (const e of idx[kind] ?? [])
          if (wanted.has(`${kind}:${String(e['param'])}`)) entries.push({ ...e, kind } as unknown as IndexEntry);
      out.push({
        resourceType: type,
        id: String(doc['id']),
        versionId: Number(doc['versionId']),
        lastUpdatedMs: Number(doc['lu']),
        entries,
      });
    }
  }
  return out;
}
