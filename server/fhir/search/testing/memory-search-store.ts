/**
 * A tiny in-memory ResourceStore for the search tests (not for production): current versions only,
 * searches evaluated with evaluate-condition.ts, sort per search-query.ts, keyset cursors that encode the
 * last row's sort key (so pages stay correct while data changes).
 */
import type { Coding, Meta } from '@medplum/fhirtypes';
import type { IndexEntry } from '../../indexing/index-entry.js';
import type {
  ChangeRecord,
  EntryParam,
  MatchEntries,
  HistoryPage,
  HistoryQuery,
  IndexReplacement,
  MetaInUse,
  ResourceKey,
  ResourceStore,
  StoredVersion,
  VersionWrite,
} from '../../../store/resource-store.js';
import { UnsupportedQueryError, VersionConflictError } from '../../../store/resource-store.js';
import type { SearchPage, SearchQuery, SortKey } from '../search-query.js';
import { evaluateCondition, type Candidate, type CandidateResolver } from '../evaluate-condition.js';
import { KeyedLocks } from '../../../store/keyed-locks.js';
import { metaKeepingVersion } from '../../../store/version-meta.js';

type Row = { version: StoredVersion; candidate: Candidate };
type SortValue = string | number | null;

export class MemorySearchStore implements ResourceStore {
  readonly description = 'memory (search test store)';
  private rows = new Map<string, Row>();
  private seq = 0;
  private changes: ChangeRecord[] = [];
  private readonly locks = new KeyedLocks();

  withLocks<T>(keys: readonly string[], fn: (store: ResourceStore) => Promise<T>): Promise<T> {
    return this.locks.run(keys, () => fn(this));
  }

  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async ping(): Promise<void> {}

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return this.rows.get(`${resourceType}/${id}`)?.version;
  }
  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const v = await this.read(resourceType, id);
    return v?.versionId === versionId ? v : undefined;
  }
  async readMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    return keys
      .map((k) => this.rows.get(`${k.resourceType}/${k.id}`)?.version)
      .filter((v): v is StoredVersion => !!v && !v.deleted);
  }
  async readCurrentMany(keys: ResourceKey[]): Promise<StoredVersion[]> {
    const unique = new Set(keys.map((k) => `${k.resourceType}/${k.id}`));
    return [...unique].map((key) => this.rows.get(key)?.version).filter((v): v is StoredVersion => !!v);
  }
  async write(writes: VersionWrite[]): Promise<void> {
    for (const w of writes) {
      const current = this.rows.get(`${w.resourceType}/${w.id}`)?.version.versionId ?? 0;
      if (w.versionId !== current + 1) throw new VersionConflictError(w.resourceType, w.id, w.versionId);
    }
    for (const w of writes) {
      const version: StoredVersion = {
        resourceType: w.resourceType,
        id: w.id,
        versionId: w.versionId,
        lastUpdated: w.lastUpdated,
        deleted: !w.resource,
        resource: w.resource,
      };
      const candidate: Candidate = {
        resourceType: w.resourceType,
        id: w.id,
        lastUpdated: Date.parse(w.lastUpdated),
        index: w.index,
      };
      this.rows.set(`${w.resourceType}/${w.id}`, { version, candidate });
      this.changes.push({
        seq: ++this.seq,
        resourceType: w.resourceType,
        id: w.id,
        versionId: w.versionId,
        deleted: !w.resource,
        lastUpdated: w.lastUpdated,
      });
    }
  }
  async history(_query: HistoryQuery): Promise<HistoryPage> {
    return { versions: [] };
  }
  async changesAfter(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return this.changes.filter((c) => c.seq > afterSeq).slice(0, limit);
  }
  async replaceMeta(item: IndexReplacement, meta: Meta): Promise<boolean> {
    const row = this.rows.get(`${item.resourceType}/${item.id}`);
    if (!row?.version.resource || row.version.versionId !== item.versionId) return false;
    const next = metaKeepingVersion(row.version.resource.meta ?? {}, meta);
    row.version = { ...row.version, resource: { ...row.version.resource, meta: next } };
    row.candidate = { ...row.candidate, index: item.index };
    return true;
  }

  async metaInUse(resourceType?: string): Promise<MetaInUse> {
    const tags = new Map<string, Coding>();
    const security = new Map<string, Coding>();
    const profiles = new Set<string>();
    for (const row of this.rows.values()) {
      const r = row.version.resource;
      if (!r || (resourceType !== undefined && r.resourceType !== resourceType)) continue;
      for (const c of r.meta?.tag ?? [])
        if (c.code) tags.set(`${c.system ?? ''}|${c.code}`, { system: c.system, code: c.code });
      for (const c of r.meta?.security ?? [])
        if (c.code) security.set(`${c.system ?? ''}|${c.code}`, { system: c.system, code: c.code });
      for (const p of r.meta?.profile ?? []) profiles.add(p);
    }
    return { tags: [...tags.values()], security: [...security.values()], profiles: [...profiles] };
  }

  async replaceIndexes(items: IndexReplacement[]): Promise<number> {
    let replaced = 0;
    for (const item of items) {
      const row = this.rows.get(`${item.resourceType}/${item.id}`);
      if (!row || row.version.deleted || row.version.versionId !== item.versionId) continue;
      row.candidate = { ...row.candidate, index: item.index };
      replaced++;
    }
    return replaced;
  }
  private settings = new Map<string, string>();
  async readSetting(key: string): Promise<string | undefined> {
    return this.settings.get(key);
  }
  async writeSetting(key: string, value: string | undefined): Promise<void> {
    if (value === undefined) this.settings.delete(key);
    else this.settings.set(key, value);
  }

  private matching(query: SearchQuery): Row[] {
    const live = [...this.rows.values()].filter((r) => !r.version.deleted);
    const resolver: CandidateResolver = {
      read: (t, id) => {
        const row = this.rows.get(`${t}/${id}`);
        return row && !row.version.deleted ? row.candidate : undefined;
      },
      all: (t) => live.filter((r) => r.candidate.resourceType === t).map((r) => r.candidate),
    };
    return live.filter(
      (r) =>
        (query.resourceTypes.length === 0 || query.resourceTypes.includes(r.candidate.resourceType)) &&
        query.conditions.every((c) => evaluateCondition(c, r.candidate, resolver)),
    );
  }

  async searchEntries(query: SearchQuery, params: readonly EntryParam[], limit: number): Promise<MatchEntries[]> {
    const wanted = new Set(params.map((p) => `${p.kind}:${p.param}`));
    return this.matching(query)
      .slice(0, limit)
      .map(({ candidate: c, version }) => ({
        resourceType: c.resourceType,
        id: c.id,
        versionId: version.versionId,
        lastUpdatedMs: c.lastUpdated,
        entries: c.index.entries.filter((e) => wanted.has(`${e.kind}:${e.param}`)),
      }));
  }

  async search(query: SearchQuery): Promise<SearchPage<StoredVersion>> {
    const hits = this.matching(query);
    const keyed = hits.map((r) => ({ row: r, key: sortKey(r.candidate, query.sort) }));
    keyed.sort((a, b) => compareKeys(a.key, b.key));
    const total = query.total === 'none' ? undefined : keyed.length;
    if (query.count === 0) return { entries: [], total };
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    let start = 0;
    let end = keyed.length;
    if (cursor?.dir === 'next') start = keyed.findIndex((k) => compareKeys(k.key, cursor.key) > 0);
    if (cursor?.dir === 'prev') end = keyed.findIndex((k) => compareKeys(k.key, cursor.key) >= 0);
    if (start < 0) start = keyed.length;
    if (end < 0) end = keyed.length;
    const slice =
      cursor?.dir === 'prev'
        ? keyed.slice(Math.max(start, end - query.count), end)
        : keyed.slice(start, start + query.count);
    const first = slice[0];
    const last = slice.at(-1);
    const startIdx = first ? keyed.indexOf(first) : start;
    const endIdx = last ? keyed.indexOf(last) + 1 : start;
    const encode = (dir: 'next' | 'prev', key: SortValue[]) =>
      Buffer.from(JSON.stringify({ dir, key })).toString('base64url');
    return {
      entries: slice.map((k) => k.row.version),
      total,
      nextCursor: last && endIdx < keyed.length ? encode('next', last.key) : undefined,
      previousCursor: first && startIdx > 0 ? encode('prev', first.key) : undefined,
    };
  }
}

function decodeCursor(text: string): { dir: 'next' | 'prev'; key: SortValue[] } {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString()) as { dir?: unknown; key?: unknown };
    if ((c.dir === 'next' || c.dir === 'prev') && Array.isArray(c.key))
      return c as { dir: 'next' | 'prev'; key: SortValue[] };
  } catch {
    // fall through
  }
  throw new UnsupportedQueryError('the paging cursor is not valid');
}

/** Sort values, then type and id as the final tie-breakers. Missing values sort last (either direction). */
function sortKey(c: Candidate, sort: SortKey[]): SortValue[] {
  const values: SortValue[] = [];
  for (const key of sort) {
    let v: SortValue;
    if (key.kind === 'id') v = c.id;
    else if (key.kind === 'lastUpdated') v = c.lastUpdated;
    else if ('param' in key)
      v = paramSortValue(
        c.index.entries.filter((e) => (key.params?.includes(e.param) ?? e.param === key.param) && e.kind === key.kind),
        key.descending,
      );
    else v = null;
    values.push(v === null ? null : key.descending ? invert(v) : v);
  }
  values.push(c.resourceType, c.id);
  return values;
}

function paramSortValue(entries: IndexEntry[], descending: boolean): SortValue {
  const vals: Array<string | number> = [];
  for (const e of entries) {
    switch (e.kind) {
      case 'string':
        vals.push(e.value);
        break;
      case 'token':
        if (e.code !== null) vals.push(e.code);
        break;
      case 'date':
        vals.push(descending ? e.high : e.low);
        break;
      case 'number':
      case 'quantity':
        vals.push(e.value);
        break;
      case 'reference':
        vals.push(e.targetType && e.targetId ? `${e.targetType}/${e.targetId}` : (e.url ?? ''));
        break;
      case 'uri':
        vals.push(e.value);
        break;
      case 'composite':
        break;
    }
  }
  if (vals.length === 0) return null;
  const sorted = [...vals].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return descending ? sorted.at(-1)! : sorted[0]!;
}

/** Descending order as ascending order of an inverted value. */
function invert(v: string | number): SortValue {
  return typeof v === 'number'
    ? -v
    : [...v].map((ch) => String.fromCharCode(0xffff - ch.charCodeAt(0))).join('') + '\uffff';
}

function compareKeys(a: SortValue[], b: SortValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}
