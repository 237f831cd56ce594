/**
 * The store's concept table (PostgreSQL: schema nilecare_terminology in the FHIR store's own database — PGlite or a
 * server —, migrated on first use by the same runner as the other embedded schemas): concepts of large code systems
 * uploaded through CodeSystem/[id]/$upload-concepts, read back as a ConceptSource that pages and filters in SQL, so
 * that a 100k-concept code system is never held in memory. A MongoDB store has its own (mongo-concept-table.ts).
 */
import type { CodeSystem, CodeSystemConcept } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';
import type { SqlClient } from '../../store/postgres/sql-client.js';
import { sqlClientOf } from '../../store/postgres/open-postgres-store.js';
import { pgArray } from '../../store/postgres/pg-array.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import { EMBEDDED_MIGRATIONS_ROOT, openStoreMigrationSession } from '../../state/migration-session.js';
import {
  COUNT_CAP,
  filterWords,
  type Concept,
  type ConceptPage,
  type ConceptSearch,
  type ConceptSource,
  type CodeSystemInfo,
} from './concept-source.js';
import { MAX_EXPANSION } from './expand.js';
import { TerminologyError } from './terminology-error.js';
import { MongoStore } from '../../store/mongo/mongo-store.js';
import { MongoConceptTable } from './mongo-concept-table.js';
import { detailOf, flattenConcepts, storedConcept, type ConceptDetail } from './concept-rows.js';
import { WordIndex } from './word-index.js';

export interface ConceptTable {
  /** The table-backed source of a CodeSystem whose concepts were uploaded, undefined when none were. */
  sourceOf(cs: CodeSystem): Promise<ConceptSource | undefined>;
  /** Replaces the concepts of the code system's url|version; `onProgress` after each batch. Returns how many. */
  load(cs: CodeSystem, concepts: readonly CodeSystemConcept[], onProgress?: (done: number) => void): Promise<number>;
}

const SCHEMA = 'nilecare_terminology';
const BATCH = 2000;
/** Code systems up to this size get an in-memory word index for text filters (word-index.ts); larger ones filter in SQL. */
const WORD_INDEX_MAX_CONCEPTS = 1_000_000;
/** How many word indexes a store keeps (least recently used dropped). */
const WORD_INDEX_LIMIT = 4;
const tables = new WeakMap<ResourceStore, ConceptTable>();

export function conceptTableOf(store: ResourceStore): ConceptTable | undefined {
  const client = sqlClientOf(store);
  if (!client) return mongoConceptTableOf(store);
  let table = tables.get(store);
  if (!table) tables.set(store, (table = new SqlConceptTable(client)));
  return table;
}

function mongoConceptTableOf(store: ResourceStore): ConceptTable | undefined {
  if (!(store instanceof MongoStore)) return undefined;
  let table = tables.get(store);
  if (!table) tables.set(store, (table = new MongoConceptTable(store.database)));
  return table;
}

class SqlConceptTable implements ConceptTable {
  private migrated: Promise<void> | undefined;
  /** Word indexes by system|version|loaded_at (a new upload, by any node, has a new stamp). */
  private readonly wordIndexes = new Map<string, Promise<WordIndex>>();

  constructor(private readonly client: SqlClient) {}

  private ready(): Promise<void> {
    return (this.migrated ??= migrateDatabase({
      engine: 'postgres',
      database: SCHEMA,
      connection: {},
      session: () => openStoreMigrationSession(this.client, SCHEMA),
      migrationsRoot: EMBEDDED_MIGRATIONS_ROOT,
      log: () => undefined,
    }).then(
      () => undefined,
      (error: unknown) => {
        this.migrated = undefined;
        throw error;
      },
    ));
  }

  async sourceOf(cs: CodeSystem): Promise<ConceptSource | undefined> {
    if (!cs.url) return undefined;
    await this.ready();
    const { rows } = await this.client.query<{ n: number; loaded: string }>({
      text: `SELECT count AS n, loaded_at::text AS loaded FROM ${SCHEMA}.concept_count WHERE system = $1 AND version = $2`,
      values: [cs.url, cs.version ?? ''],
    });
    const n = rows[0]?.n ?? 0;
    if (n === 0) return undefined;
    const key = `${cs.url}|${cs.version ?? ''}|${rows[0]!.loaded}`;
    const words = n <= WORD_INDEX_MAX_CONCEPTS ? () => this.wordIndex(key, cs.url!, cs.version ?? '') : undefined;
    return new SqlConceptSource(this.client, words, {
      url: cs.url,
      ...(cs.version ? { version: cs.version } : {}),
      ...(cs.name ? { name: cs.name } : {}),
      ...(cs.title ? { title: cs.title } : {}),
      content: 'complete',
      caseSensitive: cs.caseSensitive !== false,
      count: n,
    });
  }

  /** The word index of a loaded code system version, built once per upload (concurrent callers share the build). */
  private wordIndex(key: string, system: string, version: string): Promise<WordIndex> {
    let index = this.wordIndexes.get(key);
    if (index) {
      this.wordIndexes.delete(key);
      this.wordIndexes.set(key, index);
      return index;
    }
    for (const old of this.wordIndexes.keys())
      if (old.startsWith(`${system}|${version}|`)) this.wordIndexes.delete(old);
    index = this.client
      .query<{ seq: number; words: string }>({
        text: `SELECT seq, words FROM ${SCHEMA}.concept WHERE system = $1 AND version = $2 ORDER BY seq`,
        values: [system, version],
      })
      .then((r) => WordIndex.build(r.rows));
    index.catch(() => this.wordIndexes.delete(key));
    this.wordIndexes.set(key, index);
    if (this.wordIndexes.size > WORD_INDEX_LIMIT) this.wordIndexes.delete(this.wordIndexes.keys().next().value!);
    return index;
  }

  async load(
    cs: CodeSystem,
    concepts: readonly CodeSystemConcept[],
    onProgress?: (done: number) => void,
  ): Promise<number> {
    if (!cs.url) throw new TerminologyError('invalid', 'The code system has no url');
    await this.ready();
    const rows = flattenConcepts(concepts);
    const key = [cs.url, cs.version ?? ''];
    await this.client.transaction(async (tx) => {
      await tx.query({ text: `DELETE FROM ${SCHEMA}.concept_parent WHERE system = $1 AND version = $2`, values: key });
      await tx.query({ text: `DELETE FROM ${SCHEMA}.concept WHERE system = $1 AND version = $2`, values: key });
      await tx.query({
        text: `INSERT INTO ${SCHEMA}.concept_count (system, version, count, loaded_at) VALUES ($1, $2, $3, clock_timestamp())
               ON CONFLICT (system, version) DO UPDATE SET count = EXCLUDED.count, loaded_at = EXCLUDED.loaded_at`,
        values: [...key, rows.length],
      });
      for (let start = 0; start < rows.length; start += BATCH) {
        const batch = rows.slice(start, start + BATCH);
        await tx.query({
          text: `INSERT INTO ${SCHEMA}.concept (system, version, code, seq, display, words, detail)
                 SELECT $1, $2, c, s, d, w, j::jsonb FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[]) AS t(c, s, d, w, j)`,
          values: [
            ...key,
            pgArray(batch.map((r) => r.concept.code)),
            pgArray(batch.map((_, i) => start + i)),
            pgArray(batch.map((r) => r.concept.display ?? null)),
            pgArray(batch.map((r) => wordsColumn(r.concept))),
            pgArray(batch.map((r) => jsonOrNull(detailOf(r.concept)))),
          ],
        });
        const links = batch.flatMap((r) => r.parents.map((p) => [r.concept.code, p] as const));
        if (links.length > 0)
          await tx.query({
            text: `INSERT INTO ${SCHEMA}.concept_parent (system, version, code, parent)
                   SELECT $1, $2, c, p FROM unnest($3::text[], $4::text[]) AS t(c, p) ON CONFLICT DO NOTHING`,
            values: [...key, pgArray(links.map((l) => l[0])), pgArray(links.map((l) => l[1]))],
          });
        onProgress?.(Math.min(start + BATCH, rows.length));
      }
    });
    // fresh statistics for the planner (PGlite has no autovacuum): without them a text filter is planned as if it
    // were rare, through the trigram index and a sort of every match, instead of walking the order index
    await this.client.query({ text: `ANALYZE ${SCHEMA}.concept, ${SCHEMA}.concept_parent` });
    return rows.length;
  }
}

function wordsColumn(c: CodeSystemConcept): string {
  return ` ${filterWords(`${c.display ?? ''} ${c.code}`).join(' ')} `;
}

type ConceptRow = { code: string; display: string | null; detail: ConceptDetail | string | null };

class SqlConceptSource implements ConceptSource {
  private readonly key: [string, string];

  constructor(
    private readonly client: SqlClient,
    /** The in-memory word index for text filters, when the code system is small enough for one. */
    private readonly wordIndex: (() => Promise<WordIndex>) | undefined,
    readonly info: CodeSystemInfo,
  ) {
    this.key = [info.url, info.version ?? ''];
  }

  async lookup(code: string): Promise<Concept | undefined> {
    return (await this.lookupMany([code]))[0];
  }

  async lookupMany(codes: readonly string[]): Promise<Concept[]> {
    if (codes.length === 0) return [];
    return this.concepts(`code = ANY($3::text[]) ORDER BY seq`, [pgArray(codes)]);
  }

  async all(): Promise<Concept[]> {
    if (this.info.count > MAX_EXPANSION)
      throw new TerminologyError(
        'too-costly',
        `Code system ${this.info.url} has ${this.info.count} concepts: it is not enumerated whole (page it, or filter it)`,
      );
    return this.concepts('true ORDER BY seq', []);
  }

  async parents(code: string): Promise<string[]> {
    return this.codes(
      `SELECT parent AS code FROM ${SCHEMA}.concept_parent WHERE system = $1 AND version = $2 AND code = $3`,
      code,
    );
  }

  async children(code: string): Promise<string[]> {
    return this.codes(
      `SELECT code FROM ${SCHEMA}.concept_parent WHERE system = $1 AND version = $2 AND parent = $3`,
      code,
    );
  }

  descendants(code: string): Promise<string[]> {
    return this.codes(`${below('$3')} SELECT code FROM below`, code);
  }

  ancestors(code: string): Promise<string[]> {
    return this.codes(
      `WITH RECURSIVE above(code) AS (
         SELECT parent FROM ${SCHEMA}.concept_parent WHERE system = $1 AND version = $2 AND code = $3
         UNION SELECT p.parent FROM ${SCHEMA}.concept_parent p JOIN above a ON p.code = a.code
           WHERE p.system = $1 AND p.version = $2)
       SELECT code FROM above`,
      code,
    );
  }

  async search({ text, below: top, includeSelf, offset, count }: ConceptSearch): Promise<ConceptPage> {
    const words = filterWords(text);
    if (words.length > 0 && top === undefined && this.wordIndex) {
      const { seqs, total } = (await this.wordIndex()).match(words, offset, count);
      const concepts =
        seqs.length === 0 ? [] : await this.concepts('seq = ANY($3::int[]) ORDER BY seq', [pgArray(seqs)]);
      return { concepts, total };
    }
    const values: unknown[] = [...this.key];
    const where = ['c.system = $1', 'c.version = $2'];
    for (const word of words) {
      values.push(`% ${word}%`);
      where.push(`c.words LIKE $${values.length}`);
    }
    let prefix = '';
    if (top !== undefined) {
      values.push(top);
      prefix = below(`$${values.length}`);
      where.push(`(c.code IN (SELECT code FROM below)${includeSelf ? ` OR c.code = $${values.length}` : ''})`);
    }
    const matching = `${prefix} SELECT %s FROM ${SCHEMA}.concept c WHERE ${where.join(' AND ')}`;
    const { rows } = await this.client.query<ConceptRow>({
      text: `${matching.replace('%s', 'c.code, c.display, c.detail')} ORDER BY c.seq
             LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      values: [...values, count, offset],
    });
    const concepts = rows.map(toConcept);
    // the total without counting every match: the whole system's is known; a short page ends the matches; else
    // matches are counted up to COUNT_CAP (a trigram index answers the words), beyond it the total is left out
    if (words.length === 0 && top === undefined) return { concepts, total: this.info.count };
    if (rows.length < count && (rows.length > 0 || offset === 0)) return { concepts, total: offset + rows.length };
    const counted = await this.client.query<{ n: number }>({
      text: `SELECT count(*)::int AS n FROM (${matching.replace('%s', '1')} LIMIT ${COUNT_CAP + 1}) t`,
      values,
    });
    const n = counted.rows[0]?.n ?? 0;
    return { concepts, total: n > COUNT_CAP ? undefined : n };
  }

  private async concepts(condition: string, extra: unknown[]): Promise<Concept[]> {
    const { rows } = await this.client.query<ConceptRow>({
      text: `SELECT code, display, detail FROM ${SCHEMA}.concept WHERE system = $1 AND version = $2 AND ${condition}`,
      values: [...this.key, ...extra],
    });
    return rows.map(toConcept);
  }

  private async codes(sql: string, code: string): Promise<string[]> {
    const { rows } = await this.client.query<{ code: string }>({ text: sql, values: [...this.key, code] });
    return rows.map((r) => r.code);
  }
}

/** A `below` CTE: every code under the code in parameter `param` (system $1, version $2). */
function below(param: string): string {
  return `WITH RECURSIVE below(code) AS (
    SELECT code FROM ${SCHEMA}.concept_parent WHERE system = $1 AND version = $2 AND parent = ${param}
    UNION SELECT p.code FROM ${SCHEMA}.concept_parent p JOIN below b ON p.parent = b.code
      WHERE p.system = $1 AND p.version = $2)`;
}

function toConcept(r: ConceptRow): Concept {
  const detail = typeof r.detail === 'string' ? (JSON.parse(r.detail) as ConceptDetail) : r.detail;
  return storedConcept(r.code, r.display, detail);
}

function jsonOrNull(detail: ConceptDetail | null): string | null {
  return detail === null ? null : JSON.stringify(detail);
}
