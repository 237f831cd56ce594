/**
 * The schema's migrations of index definitions: a database made by an earlier version of schema.ts gets today's
 * indexes when a server starts on it, and its searches keep their answers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceStore } from '../resource-store.js';
import { openPostgresStore, sqlClientOf } from './open-postgres-store.js';
import { createTestDatabase } from './testing/test-stores.js';
import { ids, put, str } from './search/testing/search-test-helpers.js';
import type { SqlClient } from './sql-client.js';

const TRIGRAM_DEF = `SELECT indexdef FROM pg_indexes WHERE indexname = 'fhir_idx_string_trgm'`;

describe('PostgreSQL schema: partial string indexes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: ResourceStore;
  let sql: SqlClient;
  before(async () => {
    database = await createTestDatabase();
    store = await openPostgresStore({ url: database.url, poolSize: 2 });
    await store.init();
    sql = sqlClientOf(store)!;
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  async function trigramDefinition(): Promise<string | undefined> {
    return (await sql.query<{ indexdef: string }>({ text: TRIGRAM_DEF })).rows[0]?.indexdef;
  }

  async function contains(param: string, text: string): Promise<string[]> {
    return ids(store, 'Patient', { kind: 'string', param, match: 'contains', values: [text] });
  }

  it('leaves the word rows (_content, _text) out of the value index', async () => {
    const { rows } = await sql.query<{ indexdef: string }>({
      text: `SELECT indexdef FROM pg_indexes WHERE indexname = 'fhir_idx_string_value'`,
    });
    assert.match(rows[0]?.indexdef ?? '', /WHERE .*'_content'.*'_text'/);
  });

  it('leaves out the rows no :contains asks for (_content, _text, phonetic keys)', async () => {
    const def = await trigramDefinition();
    assert.match(def ?? '', /gin_trgm_ops/);
    for (const param of ['_content', '_text', 'phonetic', 'phonetic~pair']) assert.ok(def?.includes(`'${param}'`), def);
  });

  it('replaces the indexes of every string row a database made before has, and answers as before', async () => {
    await put(
      store,
      { type: 'Patient', id: 'p1', entries: [str('name', 'Amina Hassan'), str('_content', 'amina hassan female')] },
      { type: 'Patient', id: 'p2', entries: [str('name', 'Omar Ali'), str('phonetic', 'amn')] },
    );
    await sql.exec('DROP INDEX fhir_idx_string_trgm');
    await sql.exec('CREATE INDEX fhir_idx_string_trgm ON fhir_idx_string USING gin (value gin_trgm_ops)');
    await sql.exec('DROP INDEX fhir_idx_string_value');
    await sql.exec('CREATE INDEX fhir_idx_string_value ON fhir_idx_string (resource_type, param, value)');
    assert.doesNotMatch((await trigramDefinition()) ?? '', /WHERE/);
    const prefix = () => ids(store, 'Patient', { kind: 'string', param: 'name', match: 'prefix', values: ['omar'] });
    const before = [await contains('name', 'mina'), await contains('name', 'ali'), await prefix()];

    await store.close();
    store = await openPostgresStore({ url: database.url, poolSize: 2 });
    await store.init(); // a server started on the old database
    sql = sqlClientOf(store)!;

    assert.match((await trigramDefinition()) ?? '', /WHERE .*'_content'/);
    const { rows } = await sql.query<{ indexdef: string }>({
      text: `SELECT indexdef FROM pg_indexes WHERE indexname = 'fhir_idx_string_value'`,
    });
    assert.match(rows[0]?.indexdef ?? '', /WHERE .*'_content'/);
    assert.deepEqual([await contains('name', 'mina'), await contains('name', 'ali'), await prefix()], before);
    assert.deepEqual(before, [['p1'], ['p2'], ['p2']]);
  });
});
