/**
 * searchEntries() on MongoDB: one find per collection with the search's compiled filter (chains and _has resolved
 * first, as search() does), projecting only the asked idx.<kind> arrays — never the resource — and keeping the
 * entries of the asked parameters.
 * With NewestPerCode, when the query names its subjects plainly (lastn-keys.ts querySubjects), the documents' $lastn
 * keys (documents.ts: lastn, lastnAt) are walked instead of every match: the codes of those subjects, then per
 * (subject, code) the first `max` matches newest first (lastnAt, lu, id: the order of lastn-groups.ts), and every
 * match among the subjects' non-rankable documents (code null).
 */
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import type { SearchQuery } from '../../fhir/search/search-query.js';
import type { EntryParam, MatchEntries, NewestPerCode } from '../resource-store.js';
import { LASTN_KEYED, querySubjects, type LastnKey } from '../lastn-keys.js';
import { collectionNameFor } from './collection-names.js';
import { compileSearchFilter } from './compile-condition.js';
import type { Doc, DocDatabase, Filter, Projection } from './doc-db.js';
import { resolveJoins } from './resolve-joins.js';

export async function searchEntries(
  db: DocDatabase,
  query: SearchQuery,
  types: string[],
  params: readonly EntryParam[],
  limit: number,
  maxJoinIds?: number,
  newest?: NewestPerCode,
): Promise<MatchEntries[]> {
  const subjects =
    newest &&
    types.length === 1 &&
    types[0] === LASTN_KEYED.resourceType &&
    newest.subject === LASTN_KEYED.subject &&
    newest.code === LASTN_KEYED.code &&
    newest.date === LASTN_KEYED.date
      ? querySubjects(query.conditions)
      : undefined;
  const kinds = [...new Set(params.map((p) => p.kind))];
  const wanted = new Set(params.map((p) => `${p.kind}:${p.param}`));
  const projection: Projection = { id: 1, versionId: 1, lu: 1 };
  for (const kind of kinds) projection[`idx.${kind}`] = 1;
  const out: MatchEntries[] = [];
  const time = query.timeoutMs !== undefined ? { maxTimeMS: query.timeoutMs } : {};
  for (const type of types) {
    if (out.length >= limit) break;
    const conditions = await resolveJoins(db, query.conditions, type, maxJoinIds);
    const filter = compileSearchFilter(conditions);
    const docs = subjects
      ? await newestDocs(db, type, filter, subjects, newest!.max, projection, time)
      : await db.collection(collectionNameFor(type)).find(filter, { projection, limit: limit - out.length, ...time });
    for (const doc of docs.slice(0, limit - out.length)) {
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

/** The documents NewestPerCode keeps, found through their $lastn keys (never every match). */
async function newestDocs(
  db: DocDatabase,
  type: string,
  filter: Filter,
  subjects: string[],
  max: number,
  projection: Projection,
  time: { maxTimeMS?: number },
): Promise<Doc[]> {
  const collection = db.collection(collectionNameFor(type));
  const keyDocs = await collection.find(
    { deleted: false, lastn: { $elemMatch: { subject: { $in: subjects }, code: { $ne: null } } } },
    { projection: { lastn: 1 }, ...time },
  );
  const pairs = new Map<string, { subject: string; code: string }>();
  for (const d of keyDocs)
    for (const k of (d['lastn'] ?? []) as LastnKey[])
      if (k.code !== null && subjects.includes(k.subject))
        pairs.set(`${k.subject}\n${k.code}`, { subject: k.subject, code: k.code });
  const ranked = await Promise.all(
    [...pairs.values()].map((p) =>
      collection.find(
        { $and: [filter, { lastn: { $elemMatch: { subject: p.subject, code: p.code } } }] },
        { projection, sort: { lastnAt: -1, lu: -1, id: 1 }, limit: max, ...time },
      ),
    ),
  );
  const others = await collection.find(
    { $and: [filter, { lastn: { $elemMatch: { subject: { $in: subjects }, code: null } } }] },
    { projection, ...time },
  );
  return [...ranked.flat(), ...others];
}
