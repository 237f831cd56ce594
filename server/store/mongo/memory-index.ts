/**
 * Secondary indexes for the in-process collections, so that equality lookups do not scan every
 * document through mingo. Generic over IndexSpec, like MongoDB's B-trees (equality prefixes only):
 * - keys under one parent (`idx.token.param`, `idx.token.code`, …) index each element's tuple when the
 *   parent is an array (multikey), and serve `{ 'idx.token': { $elemMatch: { param: p, code: c } } }`
 *   (and `{ 'idx.token.param': p }` with the first key alone);
 * - other keys index the document's tuple (an array value is expanded, multikey) and serve
 *   `{ resourceType: t, id: i }`-style equalities.
 * An index only narrows the candidates (a superset of the matches); mingo still tests every candidate.
 */
import type { Doc, Filter, IndexSpec } from './doc-db.js';

type Id = string | number;
type Scalar = string | number | boolean;

const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function valueAt(value: unknown, path: string[]): unknown {
  let v = value;
  for (const part of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Equality constraints a filter imposes on every match: top-level paths, and per $elemMatch parent. */
export type Equalities = { top: Map<string, Scalar>; element: Map<string, Map<string, Scalar>> };

export function equalitiesOf(filter: Filter, into: Equalities = { top: new Map(), element: new Map() }): Equalities {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const f of value) equalitiesOf(f as Filter, into);
    } else if (key.startsWith('$')) {
      continue;
    } else if (isScalar(value)) {
      into.top.set(key, value);
    } else if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof RegExp)) {
      const ops = value as Record<string, unknown>;
      if (isScalar(ops['$eq'])) into.top.set(key, ops['$eq']);
      const elem = ops['$elemMatch'];
      if (elem && typeof elem === 'object') {
        const inner = equalitiesOf(elem as Filter);
        if (inner.top.size > 0) into.element.set(key, inner.top);
      }
    }
  }
  return into;
}

export class MemoryIndex {
  /** The array parent shared by every key (`idx.token`), or undefined for document-level keys. */
  private readonly parent: string | undefined;
  private readonly keys: string[][];
  /** prefixes[k-1]: tuple of the first k key values → ids. */
  private readonly prefixes: Array<Map<string, Set<Id>>>;

  constructor(readonly spec: IndexSpec) {
    const paths = Object.keys(spec.keys);
    const parents = new Set(paths.map((p) => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '')));
    const parent = parents.size === 1 ? [...parents][0]! : '';
    this.parent = parent !== '' ? parent : undefined;
    this.keys = paths.map((p) => (this.parent ? p.slice(this.parent.length + 1) : p).split('.'));
    this.prefixes = this.keys.map(() => new Map<string, Set<Id>>());
  }

  /** Wildcard and other key shapes this class does not model are not used for lookups. */
  get usable(): boolean {
    return !Object.keys(this.spec.keys).some((k) => k.includes('$'));
  }

  add(doc: Doc): void {
    for (const key of this.entryKeys(doc))
      (
        this.prefixes[key.length - 1]!.get(key.text) ??
        this.prefixes[key.length - 1]!.set(key.text, new Set()).get(key.text)!
      ).add(doc._id);
  }

  remove(doc: Doc): void {
    for (const key of this.entryKeys(doc)) {
      const set = this.prefixes[key.length - 1]!.get(key.text);
      set?.delete(doc._id);
      if (set?.size === 0) this.prefixes[key.length - 1]!.delete(key.text);
    }
  }

  /** The ids that can match, or undefined when this index cannot narrow the filter. */
  lookup(eq: Equalities): Set<Id> | undefined {
    if (!this.usable) return undefined;
    const source = this.parent ? eq.element.get(this.parent) : eq.top;
    const values: Scalar[] = [];
    for (const key of this.keys) {
      const v = source?.get(key.join('.'));
      if (v === undefined) break;
      values.push(v);
    }
    // `{ 'idx.token.param': p }` constrains some element: a one-key prefix
    if (values.length === 0 && this.parent) {
      const v = eq.top.get(`${this.parent}.${this.keys[0]!.join('.')}`);
      if (v !== undefined) values.push(v);
    }
    if (values.length === 0) return undefined;
    return this.prefixes[values.length - 1]!.get(JSON.stringify(values)) ?? new Set();
  }

  private *entryKeys(doc: Doc): Generator<{ length: number; text: string }> {
    const seen = new Set<string>();
    const rows: unknown[] = this.parent ? [valueAt(doc, this.parent.split('.'))].flat() : [doc];
    for (const row of rows) {
      for (const tuple of this.tuples(row)) {
        for (let k = 1; k <= tuple.length; k++) {
          const text = JSON.stringify(tuple.slice(0, k));
          if (!seen.has(`${k}:${text}`)) {
            seen.add(`${k}:${text}`);
            yield { length: k, text };
          }
        }
      }
    }
  }

  /** Scalar tuples of one row (arrays expanded); a tuple stops at the first non-scalar value. */
  private tuples(row: unknown): Scalar[][] {
    let out: Scalar[][] = [[]];
    for (const key of this.keys) {
      const raw = valueAt(row, key);
      const values = (Array.isArray(raw) ? raw : [raw]).filter(isScalar);
      if (values.length === 0) break;
      out = out.flatMap((t) => values.map((v) => [...t, v]));
    }
    return out.filter((t) => t.length > 0);
  }
}
