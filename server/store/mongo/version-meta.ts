/**
 * replaceMeta() and metaInUse() of the MongoDB store ($meta, $meta-add, $meta-delete): one transaction rewrites
 * `resource.meta` of the history document of that version and, when that version is still current, of the current
 * document with its index (a compare-and-set on versionId, as replaceIndexes does). The stored meta.versionId and
 * meta.lastUpdated are kept whatever the new meta says.
 */
import type { Coding, Meta, Resource } from '@medplum/fhirtypes';
import type { IndexReplacement, MetaInUse } from '../resource-store.js';
import { collectionNameFor, HISTORY_COLLECTION } from './collection-names.js';
import type { DocDatabaseHandle } from './doc-db.js';
import { indexDocOf } from './documents.js';
import { sortFieldsOf } from './sort-values.js';
import { metaKeepingVersion } from '../version-meta.js';

export function replaceMeta(db: DocDatabaseHandle, item: IndexReplacement, meta: Meta): Promise<boolean> {
  return db.withTransaction(async (tx) => {
    const history = tx.collection(HISTORY_COLLECTION);
    const _id = `${item.resourceType}/${item.id}/${item.versionId}`;
    const doc = await history.findOne({ _id, deleted: false }, { projection: { resource: 1 } });
    if (!doc) return false;
    const next = metaKeepingVersion((doc['resource'] as Resource).meta ?? {}, meta);
    await history.updateOne({ _id }, { $set: { 'resource.meta': next } });
    await tx.collection(collectionNameFor(item.resourceType)).updateOne(
      { _id: item.id, versionId: item.versionId, deleted: false },
      {
        $set: {
          'resource.meta': next,
          idx: indexDocOf(item.index.entries),
          compartments: [...new Set(item.index.compartments)],
          sort: sortFieldsOf(item.index.entries, item.resourceType),
        },
      },
    );
    return true;
  });
}

type TokenRow = { param: string; system?: string | null; code?: string | null };
type UriRow = { param: string; value: string };

/** Reads the index sub-documents of the current resources that carry one of the three (an index on idx.*.param). */
export async function metaInUse(db: DocDatabaseHandle, types: string[]): Promise<MetaInUse> {
  const tags = new Map<string, Coding>();
  const security = new Map<string, Coding>();
  const profiles = new Set<string>();
  for (const type of types) {
    const docs = await db.collection(collectionNameFor(type)).find(
      {
        deleted: false,
        $or: [{ 'idx.token.param': { $in: ['_tag', '_security'] } }, { 'idx.uri.param': '_profile' }],
      },
      { projection: { 'idx.token': 1, 'idx.uri': 1 } },
    );
    for (const doc of docs) {
      const idx = (doc['idx'] ?? {}) as { token?: TokenRow[]; uri?: UriRow[] };
      for (const t of idx.token ?? []) {
        if (t.code == null || (t.param !== '_tag' && t.param !== '_security')) continue;
        const coding: Coding = t.system == null ? { code: t.code } : { system: t.system, code: t.code };
        (t.param === '_tag' ? tags : security).set(`${t.system ?? ''}|${t.code}`, coding);
      }
      for (const u of idx.uri ?? []) if (u.param === '_profile') profiles.add(u.value);
    }
  }
  const sorted = (m: Map<string, Coding>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
  return { tags: sorted(tags), security: sorted(security), profiles: [...profiles].sort() };
}
