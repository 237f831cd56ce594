/**
 * The store the FHIR layer sees when the audit trail is kept as compact rows (audit-table.ts): AuditEvent read,
 * vread, search, history and includes answer from those rows; everything else goes to the FHIR store untouched.
 * So the access rules of the FHIR layer (scopes, the compartment of a patient-context token, the caller's own trail)
 * apply to AuditEvents exactly as before. AuditEvents written as FHIR resources before the rows existed (ids that
 * are not sequence numbers) are still read from the FHIR store; searches list the rows only.
 */
import type { HistoryPage, HistoryQuery, ResourceKey, ResourceStore, StoredVersion } from '../store/resource-store.js';
import type { Condition, SearchQuery } from '../fhir/search/search-query.js';
import type { AuditTable } from './audit-table.js';
import { searchAny, searchEach } from '../store/search-any.js';

const AUDIT = 'AuditEvent';
const recordedAt = (op: 'ge' | 'le', instant: string): Condition => ({
  kind: 'lastUpdated',
  match: [[{ field: 'value', op, value: Date.parse(instant) }]],
});
const isRowId = (id: string) => /^\d{1,18}$/.test(id);

export function auditEventStore(inner: ResourceStore, table: AuditTable): ResourceStore {
  const splitKeys = (keys: ResourceKey[]) => ({
    rows: keys.filter((k) => k.resourceType === AUDIT && isRowId(k.id)).map((k) => k.id),
    others: keys.filter((k) => k.resourceType !== AUDIT || !isRowId(k.id)),
  });
  const many = async (keys: ResourceKey[], fromInner: (keys: ResourceKey[]) => Promise<StoredVersion[]>) => {
    const { rows, others } = splitKeys(keys);
    const [fromRows, rest] = await Promise.all([table.read(rows), others.length > 0 ? fromInner(others) : []]);
    return [...fromRows, ...rest];
  };
  const store: ResourceStore = {
    get description() {
      return inner.description;
    },
    init: () => inner.init(),
    close: () => inner.close(),
    ping: () => inner.ping(),
    async read(resourceType, id) {
      if (resourceType !== AUDIT || !isRowId(id)) return inner.read(resourceType, id);
      return (await table.read([id]))[0];
    },
    async vread(resourceType, id, versionId) {
      if (resourceType !== AUDIT || !isRowId(id)) return inner.vread(resourceType, id, versionId);
      return versionId === 1 ? (await table.read([id]))[0] : undefined;
    },
    readMany: (keys) => many(keys, (k) => inner.readMany(k)),
    readCurrentMany: (keys) => many(keys, (k) => inner.readCurrentMany(k)),
    write: (writes) => inner.write(writes),
    withLocks: (keys, fn) => inner.withLocks(keys, (locked) => fn(auditEventStore(locked, table))),
    async history(query: HistoryQuery): Promise<HistoryPage> {
      if (query.resourceType !== AUDIT) return inner.history(query);
      if (query.id !== undefined) {
        if (!isRowId(query.id)) return inner.history(query);
        return { versions: query.cursor === undefined ? await table.read([query.id]) : [] };
      }
      // type history of an append-only trail: every row once, newest first
      const page = await table.search({
        resourceTypes: [AUDIT],
        conditions: [
          ...(query.since ? [recordedAt('ge', query.since)] : []),
          ...(query.before ? [recordedAt('le', query.before)] : []),
        ],
        sort: [],
        count: query.count,
        total: 'none',
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return { versions: page.entries, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
    search(query: SearchQuery) {
      return query.resourceTypes.length === 1 && query.resourceTypes[0] === AUDIT
        ? table.search(query)
        : inner.search(query);
    },
    // AuditEvent searches answer from the rows (above): a union naming them runs its searches one by one
    searchAny: (queries) =>
      queries.some((q) => q.resourceTypes.length === 1 && q.resourceTypes[0] === AUDIT)
        ? searchEach(store, queries)
        : searchAny(inner, queries),
    // the rows are not in the FHIR store's index: the operations that use this ($lastn) do not read AuditEvents
    searchEntries: (query, params, limit, newest) => inner.searchEntries(query, params, limit, newest),
    changesAfter: (afterSeq, limit) => inner.changesAfter(afterSeq, limit),
    replaceIndexes: (items) => inner.replaceIndexes(items),
    // the trail is append-only: a row's meta never changes (AuditEvent writes by clients are refused before this)
    replaceMeta: (item, meta) =>
      item.resourceType === AUDIT && isRowId(item.id) ? Promise.resolve(false) : inner.replaceMeta(item, meta),
    metaInUse: (resourceType) => inner.metaInUse(resourceType),
    readSetting: (key) => inner.readSetting(key),
    writeSetting: (key, value) => inner.writeSetting(key, value),
  };
  return store;
}
