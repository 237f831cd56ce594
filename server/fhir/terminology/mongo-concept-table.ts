/**
 * The concept table of a MongoDB store (the server, or mingo in process): the same contract as the SQL one
 * (concept-table.ts) over two collections beside the resources — `terminology_concepts` (one document per concept:
 * its code, upload order, display, the normalised words of display and code, its is-a parents, the rest as detail)
 * and `terminology_code_systems` (how many concepts each system|version holds). The text filter is a prefix regex
 * per word on the indexed `words` array; `is-a` walks `parents` one level per query. MongoDB has no OFFSET in the
 * collection layer used here: a page is read from the start (bounded by offset + count) and sliced.
 */
import type { CodeSystem, CodeSystemConcept } from '@medplum/fhirtypes';
import type { DocDatabaseHandle, Doc, Filter } from '../../store/mongo/doc-db.js';
import { TERMINOLOGY_PREFIX } from '../../store/mongo/collection-names.js';
import { literalRegExp } from '../../store/mongo/filter-parts.js';
import {
  COUNT_CAP,
  filterWords,
  type Concept,
  type ConceptPage,
  type ConceptSearch,
  type ConceptSource,
  type CodeSystemInfo,
} from './concept-source.js';
import type { ConceptTable } from './concept-table.js';
import { detailOf, flattenConcepts, storedConcept, type ConceptDetail } from './concept-rows.js';
import { MAX_EXPANSION } from './expand.js';
import { TerminologyError } from './terminology-error.js';

const CONCEPTS = `${TERMINOLOGY_PREFIX}concepts`;
const SYSTEMS = `${TERMINOLOGY_PREFIX}code_systems`;
const BATCH = 2000;

type ConceptDoc = Doc & {
  system: string;
  version: string;
  code: string;
  seq: number;
  display: string | null;
  words: string[];
  parents: string[];
  detail: ConceptDetail | null;
};

export class MongoConceptTable implements ConceptTable {
  private indexed: Promise<void> | undefined;

  constructor(private readonly db: DocDatabaseHandle) {}

  private ready(): Promise<void> {
    return (this.indexed ??= (async () => {
      const concepts = this.db.collection(CONCEPTS);
      await concepts.createIndex({ name: 'order', keys: { system: 1, version: 1, seq: 1 } });
      await concepts.createIndex({ name: 'code', keys: { system: 1, version: 1, code: 1 }, unique: true });
      await concepts.createIndex({ name: 'parents', keys: { system: 1, version: 1, parents: 1 } });
      await concepts.createIndex({ name: 'words', keys: { system: 1, version: 1, words: 1 } });
    })().catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    }));
  }

  async sourceOf(cs: CodeSystem): Promise<ConceptSource | undefined> {
    if (!cs.url) return undefined;
    await this.ready();
    const doc = await this.db.collection(SYSTEMS).findOne({ _id: systemKey(cs.url, cs.version ?? '') });
    const n = typeof doc?.count === 'number' ? doc.count : 0;
    if (n === 0) return undefined;
    return new MongoConceptSource(this.db, {
      url: cs.url,
      ...(cs.version ? { version: cs.version } : {}),
      ...(cs.name ? { name: cs.name } : {}),
      ...(cs.title ? { title: cs.title } : {}),
      content: 'complete',
      caseSensitive: cs.caseSensitive !== false,
      count: n,
    });
  }

  async load(
    cs: CodeSystem,
    concepts: readonly CodeSystemConcept[],
    onProgress?: (done: number) => void,
  ): Promise<number> {
    if (!cs.url) throw new TerminologyError('invalid', 'The code system has no url');
    await this.ready();
    const rows = flattenConcepts(concepts);
    const system = cs.url;
    const version = cs.version ?? '';
    await this.db.withTransaction(async (tx) => {
      await tx.collection(CONCEPTS).deleteMany({ system, version });
      for (let start = 0; start < rows.length; start += BATCH) {
        const docs: ConceptDoc[] = rows.slice(start, start + BATCH).map((r, i) => ({
          _id: `${systemKey(system, version)}|${r.concept.code}`,
          system,
          version,
          code: r.concept.code,
          seq: start + i,
          display: r.concept.display ?? null,
          words: [...new Set(filterWords(`${r.concept.display ?? ''} ${r.concept.code}`))],
          parents: r.parents,
          detail: detailOf(r.concept),
        }));
        await tx.collection(CONCEPTS).insertMany(docs);
        onProgress?.(Math.min(start + BATCH, rows.length));
      }
      await tx
        .collection(SYSTEMS)
        .updateOne({ _id: systemKey(system, version) }, { $set: { count: rows.length } }, { upsert: true });
    });
    return rows.length;
  }
}

function systemKey(system: string, version: string): string {
  return `${system}|${version}`;
}

class MongoConceptSource implements ConceptSource {
  private readonly scope: { system: string; version: string };

  constructor(
    private readonly db: DocDatabaseHandle,
    readonly info: CodeSystemInfo,
  ) {
    this.scope = { system: info.url, version: info.version ?? '' };
  }

  private find(filter: Filter, limit?: number): Promise<Doc[]> {
    return this.db
      .collection(CONCEPTS)
      .find({ ...this.scope, ...filter }, { sort: { seq: 1 }, ...(limit !== undefined ? { limit } : {}) });
  }

  async lookup(code: string): Promise<Concept | undefined> {
    return (await this.lookupMany([code]))[0];
  }

  async lookupMany(codes: readonly string[]): Promise<Concept[]> {
    if (codes.length === 0) return [];
    return (await this.find({ code: { $in: [...codes] } })).map(toConcept);
  }

  async all(): Promise<Concept[]> {
    if (this.info.count > MAX_EXPANSION)
      throw new TerminologyError(
        'too-costly',
        `Code system ${this.info.url} has ${this.info.count} concepts: it is not enumerated whole (page it, or filter it)`,
      );
    return (await this.find({})).map(toConcept);
  }

  async parents(code: string): Promise<string[]> {
    const doc = await this.db.collection(CONCEPTS).findOne({ ...this.scope, code });
    return (doc?.parents as string[] | undefined) ?? [];
  }

  async children(code: string): Promise<string[]> {
    return (await this.find({ parents: code })).map((d) => d.code as string);
  }

  /** Breadth first, one query per level; a code met twice (several parents, or a cycle) is walked once. */
  descendants(code: string): Promise<string[]> {
    return this.walk(code, async (frontier) =>
      (
        await this.db
          .collection(CONCEPTS)
          .find({ ...this.scope, parents: { $in: frontier } }, { projection: { code: 1 } })
      ).map((d) => d.code as string),
    );
  }

  ancestors(code: string): Promise<string[]> {
    return this.walk(code, async (frontier) =>
      (
        await this.db
          .collection(CONCEPTS)
          .find({ ...this.scope, code: { $in: frontier } }, { projection: { parents: 1 } })
      ).flatMap((d) => (d.parents as string[] | undefined) ?? []),
    );
  }

  private async walk(code: string, step: (frontier: string[]) => Promise<string[]>): Promise<string[]> {
    const seen = new Set<string>([code]);
    const out: string[] = [];
    for (let frontier = [code]; frontier.length > 0;) {
      const next = (await step(frontier)).filter((c) => !seen.has(c) && seen.add(c));
      out.push(...next);
      frontier = next;
    }
    return out;
  }

  async search({ text, below, includeSelf, offset, count }: ConceptSearch): Promise<ConceptPage> {
    const words = filterWords(text);
    const parts: Filter[] = words.map((w) => ({ words: literalRegExp(w, true) }));
    if (below !== undefined) {
      const codes = await this.descendants(below);
      if (includeSelf) codes.push(below);
      parts.push({ code: { $in: codes } });
    }
    const filter: Filter = parts.length === 0 ? {} : parts.length === 1 ? parts[0]! : { $and: parts };
    const docs = await this.find(filter, offset + count);
    const concepts = docs.slice(offset).map(toConcept);
    if (words.length === 0 && below === undefined) return { concepts, total: this.info.count };
    if (concepts.length < count && (concepts.length > 0 || offset === 0))
      return { concepts, total: offset + concepts.length };
    const n = await this.db.collection(CONCEPTS).countDocuments({ ...this.scope, ...filter }, { limit: COUNT_CAP + 1 });
    return { concepts, total: n > COUNT_CAP ? undefined : n };
  }
}

function toConcept(d: Doc): Concept {
  return storedConcept(d.code as string, d.display as string | null, (d.detail as ConceptDetail | null) ?? null);
}
