/**
 * One in-process collection: documents in insertion order, queries evaluated by mingo (MongoDB's
 * query language), unique indexes enforced like MongoDB's (E11000 → DuplicateKeyError), and an
 * optional journal that receives an undo action for every mutation (transactions roll back with it).
 */
import { Query } from 'mingo';
import {
  DuplicateKeyError,
  type Doc,
  type Filter,
  type FindOptions,
  type IndexSpec,
  type Projection,
  type Update,
} from './doc-db.js';
import { equalitiesOf, MemoryIndex } from './memory-index.js';

export type Journal = (undo: () => void) => void;

export class MemoryCollection {
  private readonly docs = new Map<string | number, Doc>();
  private readonly indexes = new Map<string, IndexSpec>();
  /** Equality lookups per index (candidates only; mingo decides). */
  private readonly lookups = new Map<string, MemoryIndex>();
  /** Per unique index: key → _id of the document holding it. */
  private readonly uniqueKeys = new Map<string, Map<string, string | number>>();

  constructor(readonly name: string) {}

  get isEmpty(): boolean {
    return this.docs.size === 0 && this.indexes.size === 0;
  }

  createIndex(spec: IndexSpec): void {
    const existing = this.indexes.get(spec.name);
    if (existing) {
      if (JSON.stringify(existing) !== JSON.stringify(spec))
        throw new Error(`index ${spec.name} on ${this.name} exists with different options`);
      return;
    }
    if (spec.unique) {
      const keys = new Map<string, string | number>();
      for (const doc of this.docs.values()) {
        const key = uniqueKey(spec, doc);
        if (keys.has(key)) throw new DuplicateKeyError(this.name, `${spec.name} ${key}`);
        keys.set(key, doc._id);
      }
      this.uniqueKeys.set(spec.name, keys);
    }
    this.indexes.set(spec.name, structuredClone(spec));
    const lookup = new MemoryIndex(spec);
    if (lookup.usable) {
      for (const doc of this.docs.values()) lookup.add(doc);
      this.lookups.set(spec.name, lookup);
    }
  }

  insert(doc: Doc, journal?: Journal): void {
    const copy = structuredClone(doc);
    this.checkUnique(copy, undefined);
    this.put(copy);
    journal?.(() => this.remove(copy._id));
  }

  findOne(filter: Filter, projection?: Projection): Doc | null {
    return this.find(filter, { limit: 1, projection })[0] ?? null;
  }

  find(filter: Filter, options: FindOptions = {}): Doc[] {
    let cursor = new Query(filter).find<Doc>(this.candidates(filter), options.projection);
    if (options.sort && Object.keys(options.sort).length > 0) cursor = cursor.sort(options.sort);
    if (options.limit !== undefined && options.limit > 0) cursor = cursor.limit(options.limit);
    return cursor.all().map((d) => structuredClone(d));
  }

  updateOne(filter: Filter, update: Update, upsert: boolean, journal?: Journal): { matched: number } {
    const query = new Query(filter);
    const current = this.candidates(filter).find((d) => query.test(d));
    if (!current) {
      if (!upsert) return { matched: 0 };
      const seed = Object.fromEntries(
        Object.entries(filter).filter(([k, v]) => !k.startsWith('$') && !isOperatorObject(v)),
      );
      this.insert(applyUpdate(seed as Doc, update), journal);
      return { matched: 0 };
    }
    const next = applyUpdate(structuredClone(current), update);
    if (next._id !== current._id) throw new Error(`update would change _id in ${this.name}`);
    this.checkUnique(next, current._id);
    this.remove(current._id);
    this.put(next);
    journal?.(() => {
      this.remove(current._id);
      this.put(current);
    });
    return { matched: 1 };
  }

  deleteMany(filter: Filter, journal?: Journal): number {
    const query = new Query(filter);
    const gone = this.candidates(filter).filter((d) => query.test(d));
    for (const doc of gone) this.remove(doc._id);
    if (gone.length > 0) journal?.(() => gone.forEach((d) => this.put(d)));
    return gone.length;
  }

  count(filter: Filter, limit?: number): number {
    const query = new Query(filter);
    let n = 0;
    for (const doc of this.candidates(filter)) {
      if (query.test(doc) && ++n === limit) break;
    }
    return n;
  }

  /** Documents that may match: a plain `_id` equality or `$in` is looked up directly (like the _id index). */
  private candidates(filter: Filter): Doc[] {
    const id = filter['_id'];
    const pick = (ids: unknown[]) =>
      ids.flatMap((i) => (typeof i === 'string' || typeof i === 'number' ? (this.docs.get(i) ?? []) : []));
    if (typeof id === 'string' || typeof id === 'number') return pick([id]);
    if (
      id &&
      typeof id === 'object' &&
      Object.keys(id).length === 1 &&
      Array.isArray((id as { $in?: unknown[] }).$in)
    ) {
      return pick([...new Set((id as { $in: unknown[] }).$in)]);
    }
    if (this.lookups.size > 0) {
      const eq = equalitiesOf(filter);
      let best: Set<string | number> | undefined;
      for (const index of this.lookups.values()) {
        const ids = index.lookup(eq);
        if (ids && (!best || ids.size < best.size)) best = ids;
      }
      if (best) return pick([...best]);
    }
    return [...this.docs.values()];
  }

  private checkUnique(doc: Doc, replacing: string | number | undefined): void {
    if (replacing === undefined && this.docs.has(doc._id))
      throw new DuplicateKeyError(this.name, `_id ${JSON.stringify(doc._id)}`);
    for (const [name, keys] of this.uniqueKeys) {
      const key = uniqueKey(this.indexes.get(name)!, doc);
      const holder = keys.get(key);
      if (holder !== undefined && holder !== replacing) throw new DuplicateKeyError(this.name, `${name} ${key}`);
    }
  }

  private put(doc: Doc): void {
    this.docs.set(doc._id, doc);
    for (const index of this.lookups.values()) index.add(doc);
    for (const [name, keys] of this.uniqueKeys) keys.set(uniqueKey(this.indexes.get(name)!, doc), doc._id);
  }

  private remove(id: string | number): void {
    const doc = this.docs.get(id);
    if (!doc) return;
    this.docs.delete(id);
    for (const index of this.lookups.values()) index.remove(doc);
    for (const [name, keys] of this.uniqueKeys) {
      const key = uniqueKey(this.indexes.get(name)!, doc);
      if (keys.get(key) === id) keys.delete(key);
    }
  }
}

function uniqueKey(spec: IndexSpec, doc: Doc): string {
  return JSON.stringify(Object.keys(spec.keys).map((path) => getPath(doc, path) ?? null));
}

function getPath(doc: Record<string, unknown>, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (next === null || typeof next !== 'object') target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts.at(-1)!] = structuredClone(value);
}

function applyUpdate(doc: Doc, update: Update): Doc {
  for (const [path, value] of Object.entries(update.$set ?? {})) setPath(doc, path, value);
  for (const [path, by] of Object.entries(update.$inc ?? {})) {
    const current = getPath(doc, path);
    if (current !== undefined && typeof current !== 'number') throw new Error(`$inc on a non-number at ${path}`);
    setPath(doc, path, (current ?? 0) + by);
  }
  return doc;
}

function isOperatorObject(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof RegExp) &&
    Object.keys(value).some((k) => k.startsWith('$'))
  );
}
